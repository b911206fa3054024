"""The object store behind pre-signed URLs: GET an object, PUT an upload. No lakeFS auth:
the URL's signature is the credential, and (like S3) a request that also carries an
Authorization header is refused, so a client that leaks its lakeFS key here is caught."""

from __future__ import annotations

import hashlib
import os

from ..errors import ApiError
from ..routing import Route
from ..state import ServerState
from ..wire import CHUNK, Request, Response
from .objects import _object_headers, stream_object


def _no_second_credential(req: Request) -> None:
    if req.headers.get("Authorization"):
        raise ApiError(400, "InvalidArgument: Only one auth mechanism allowed")


def get_presigned(state: ServerState, req: Request) -> Response:
    _no_second_credential(req)
    claim = state.presigner.verify("objects", req.params["token"])
    repo = state.repo(claim["repo"])
    stats = repo.stat_object(claim["ref"], claim["path"])
    if stats.checksum != claim["checksum"]:
        raise ApiError(404, "NoSuchKey")
    headers = _object_headers(state, repo, claim["ref"], stats)
    headers["Content-Length"] = str(stats.size_bytes)
    return Response(200, headers=headers, stream=stream_object(state, repo, claim["ref"], stats))


def put_presigned(state: ServerState, req: Request) -> Response:
    _no_second_credential(req)
    claim = state.presigner.verify("uploads", req.params["token"])
    target = state.upload_file(claim["id"])
    partial = target.with_suffix(".part")
    digest = hashlib.md5(usedforsecurity=False)
    with partial.open("wb") as out:
        while chunk := req.body.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    os.replace(partial, target)
    target.with_suffix(".md5").write_text(digest.hexdigest())
    return Response(200, headers={"ETag": f'"{digest.hexdigest()}"', "Content-Length": "0"})


ROUTES = [
    Route("GET", "/_presigned/objects/{token}", get_presigned, authenticated=False),
    Route("PUT", "/_presigned/uploads/{token}", put_presigned, authenticated=False),
]
