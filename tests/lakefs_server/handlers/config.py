"""Server facts: /config (storage config with pre-sign support) and /healthcheck."""

from __future__ import annotations

from ..routing import Route
from ..state import ServerState
from ..wire import Request, Response

VERSION = "1.0.0-lakeline-test-server"


def storage_config(state: ServerState) -> dict[str, object]:
    if state.presign:  # pre-signed URLs are an object-store feature: present as one
        kind, example, regex = "s3", "s3://example-bucket/", "^s3://"
    else:
        kind, example, regex = "local", "local://example-bucket/", "^local://"
    return {
        "blockstore_type": kind,
        "blockstore_namespace_example": example,
        "blockstore_namespace_ValidityRegex": regex,
        "default_namespace_prefix": f"{kind}://lakeline-test",
        "pre_sign_support": state.presign,
        "pre_sign_support_ui": state.presign,
        "import_support": False,
        "import_validity_regex": regex,
        "pre_sign_multipart_upload": False,
    }


def get_config(state: ServerState, req: Request) -> Response:
    storage = storage_config(state)
    body = {
        "version_config": {"version": VERSION, "upgrade_recommended": False},
        "storage_config": storage,
        "storage_config_list": [storage],
    }
    return Response(200, body, "Config")


def healthcheck(state: ServerState, req: Request) -> Response:
    return Response(204)


ROUTES = [
    Route("GET", "/api/v1/config", get_config),
    Route("GET", "/api/v1/healthcheck", healthcheck, authenticated=False),
]
