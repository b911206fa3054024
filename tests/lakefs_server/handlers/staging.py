"""Staging: hand out a physical address (pre-signed for upload when supported), and link an
uploaded address to a path, creating an uncommitted change."""

from __future__ import annotations

from pathlib import Path

from lakeline.errors import NotFoundError

from ..errors import ApiError, bad_request
from ..routing import Route
from ..state import ServerState
from ..wire import Request, Response, json_field, string_map

BACKING = "/api/v1/repositories/{repository}/branches/{branch}/staging/backing"
BAD_ADDRESS = "bad address token (expired or invalid)"


def get_physical_address(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    state.require_branch(repo, req.params["branch"])
    req.q_required("path")
    address, upload_id = state.new_upload(repo)
    body: dict[str, object] = {"physical_address": address}
    if req.q_bool("presign"):
        if not state.presign:
            raise bad_request("operation not supported")
        url, expiry = state.presigner.sign(state.base_url, "uploads", {"repo": repo.name, "id": upload_id})
        body["presigned_url"], body["presigned_url_expiry"] = url, expiry
    return Response(200, body, "StagingLocation")


def link_physical_address(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    branch, path = req.params["branch"], req.q_required("path")
    state.require_branch(repo, branch)
    body = req.json()
    staging = body.get("staging")
    if not isinstance(staging, dict):
        raise bad_request('request body has an error: property "staging" is missing')
    address = json_field(staging, "physical_address", str, required=True)
    checksum = json_field(body, "checksum", str, required=True)
    size = json_field(body, "size_bytes", int, required=True)
    namespace = repo.info().storage_namespace.rstrip("/") + "/data/"
    if not address.startswith(namespace):
        raise bad_request(BAD_ADDRESS)
    upload = state.upload_file(address[len(namespace) :])
    md5_file = upload.with_suffix(".md5")
    if not upload.exists() or not md5_file.exists():
        raise bad_request(BAD_ADDRESS)
    if req.headers.get("If-None-Match") == "*":
        try:
            repo.stat_object(branch, path)
            raise ApiError(412, "path already exists")
        except NotFoundError:
            pass
    # Stricter than lakeFS (which trusts the client): a size or checksum that does not match
    # the uploaded bytes is refused, so a client bug cannot stage a lie.
    if upload.stat().st_size != size:
        raise bad_request(f"size_bytes {size} does not match the uploaded object ({upload.stat().st_size})")
    md5 = md5_file.read_text().strip()
    if checksum.strip('"') != md5:
        raise bad_request(f"checksum {checksum} does not match the uploaded object")
    stats = repo.put_object(
        branch,
        path,
        Path(upload),
        metadata=string_map(body, "user_metadata"),
        content_type=json_field(body, "content_type", str) or "application/octet-stream",
    )
    state.checksums.record(stats.checksum, md5)
    upload.unlink(missing_ok=True)
    md5_file.unlink(missing_ok=True)
    return Response(200, state.object_json_for(repo, branch, stats), "ObjectStats")


ROUTES = [
    Route("GET", BACKING, get_physical_address),
    Route("PUT", BACKING, link_physical_address),
]
