"""Objects: read (GET/HEAD, Range, presign redirect), upload (raw body), stat, list, delete,
and the user-metadata rewrite."""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import re
from collections.abc import Iterator
from typing import BinaryIO

from lakeline.errors import NotFoundError
from lakeline.names import check_object_path
from lakeline.store import CommonPrefix, ObjectStats, Repository

from ..errors import ApiError, bad_request, unsupported
from ..pagination import amount_of, page
from ..routing import Route
from ..state import ServerState
from ..wire import CHUNK, Request, Response, common_prefix_json, listing, string_map

REPO = "/api/v1/repositories/{repository}"
META_HEADER = "x-lakefs-meta-"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class HashingBody:
    """Passes the request body through to the store while hashing it (lakeFS's MD5)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.md5 = hashlib.md5(usedforsecurity=False)

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.inner.read(size)  # type: ignore[attr-defined]
        self.md5.update(data)
        return data


def stream_object(
    state: ServerState, repo: Repository, ref: str, stats: ObjectStats, start: int = 0, end: int | None = None
) -> Iterator[bytes]:
    """The object's bytes from ``start`` to ``end`` (inclusive), in chunks; a path marked
    corrupt by a test gets one flipped byte, like a damaged disk would serve it."""
    corrupt = stats.path in state.corrupt_paths
    last = stats.size_bytes - 1 if end is None else end
    with repo.open_object(ref, stats.path) as stream:
        position = 0
        while position <= last:
            chunk = stream.read(CHUNK)
            if not chunk:
                return
            lo, hi = max(start - position, 0), min(last - position + 1, len(chunk))
            if corrupt and position == 0 and chunk:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            position += len(chunk)
            if lo < hi:
                yield chunk[lo:hi]


def _object_headers(state: ServerState, repo: Repository, ref: str, stats: ObjectStats) -> dict[str, str]:
    return {
        "ETag": f'"{state.checksums.md5(repo, ref, stats)}"',
        "Last-Modified": email.utils.formatdate(stats.mtime, usegmt=True),
        "Content-Type": stats.content_type,
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-store, must-revalidate",
    }


def _read(state: ServerState, req: Request, *, head: bool) -> Response:
    repo = state.repo(req.params["repository"])
    ref, path = req.params["ref"], req.q_required("path")
    stats = repo.stat_object(ref, path)
    headers = _object_headers(state, repo, ref, stats)
    if not head and req.q_bool("presign"):
        if not state.presign:
            raise bad_request("operation not supported")
        url, _ = state.presigner.sign(
            state.base_url,
            "objects",
            {"repo": repo.name, "ref": ref, "path": path, "checksum": stats.checksum},
        )
        return Response(302, headers={"Location": url})
    if not head and req.headers.get("If-None-Match") == headers["ETag"]:
        return Response(304, headers={"ETag": headers["ETag"]})
    start, end, status = 0, stats.size_bytes - 1, 200
    wanted = req.headers.get("Range")
    if wanted:
        match = _RANGE.match(wanted.strip())
        if not match or not (match.group(1) or match.group(2)):
            raise ApiError(416, "Requested Range Not Satisfiable")
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), stats.size_bytes - 1) if match.group(2) else stats.size_bytes - 1
        else:  # a suffix: the last N bytes
            start = max(stats.size_bytes - int(match.group(2)), 0)
        if start > end or start >= stats.size_bytes:
            raise ApiError(416, "Requested Range Not Satisfiable")
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{stats.size_bytes}"
    headers["Content-Length"] = str(max(end - start + 1, 0))
    if head:
        return Response(status, headers=headers)
    return Response(status, headers=headers, stream=stream_object(state, repo, ref, stats, start, end))


def get_object(state: ServerState, req: Request) -> Response:
    return _read(state, req, head=False)


def head_object(state: ServerState, req: Request) -> Response:
    return _read(state, req, head=True)


def upload_object(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    branch, path = req.params["branch"], req.q_required("path")
    # Like lakeFS: refuse before reading a possibly huge body into a branch that is not there.
    state.require_branch(repo, branch)
    content_type = req.headers.get("Content-Type") or DEFAULT_CONTENT_TYPE
    if content_type.lower().startswith("multipart/form-data"):
        raise unsupported("multipart/form-data uploads (send the raw body)")
    if req.headers.get("If-Match"):
        raise unsupported("If-Match")
    if_none_match = req.headers.get("If-None-Match")
    if if_none_match is not None:
        if if_none_match != "*":
            raise bad_request('Unsupported value for If-None-Match - Only "*" is supported')
        if _exists(repo, branch, path):
            raise ApiError(412, "path already exists")
    metadata = {
        key[len(META_HEADER) :].lower(): value
        for key, value in req.headers.items()
        if key.lower().startswith(META_HEADER)
    }
    body = HashingBody(req.body)
    stats = repo.put_object(branch, path, body, metadata=metadata, content_type=content_type)  # type: ignore[arg-type]
    state.checksums.record(stats.checksum, body.md5.hexdigest())
    return Response(201, state.object_json_for(repo, branch, stats), "ObjectStats")


def _exists(repo: Repository, ref: str, path: str) -> bool:
    try:
        repo.stat_object(ref, path)
    except NotFoundError:
        return False
    return True


def delete_object(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    branch, path = req.params["branch"], req.q_required("path")
    state.require_branch(repo, branch)
    # lakeFS: "Missing objects will not return a NotFound error."
    with contextlib.suppress(NotFoundError):
        repo.delete_object(branch, path)
    return Response(204)


def delete_objects(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    branch = req.params["branch"]
    state.require_branch(repo, branch)
    paths = req.json().get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise bad_request('request body has an error: property "paths" must be a list of strings')
    if len(paths) > 1000:
        raise bad_request("too many paths: at most 1000 per request")
    errors, valid = [], []
    for path in paths:
        try:
            valid.append(check_object_path(path))
        except Exception as exc:  # a bad path fails alone, as lakeFS reports per path
            errors.append({"status_code": 400, "message": str(exc), "path": path})
    repo.delete_objects(branch, valid)
    return Response(200, {"errors": errors}, "ObjectErrorList")


def _stats_json(state: ServerState, repo: Repository, ref: str, stats: ObjectStats, req: Request) -> dict:
    body = state.object_json_for(repo, ref, stats)
    if req.q_bool("user_metadata") is False:
        body["metadata"] = {}
    if req.q_bool("presign"):
        if not state.presign:
            raise bad_request("operation not supported")
        url, expiry = state.presigner.sign(
            state.base_url,
            "objects",
            {"repo": repo.name, "ref": ref, "path": stats.path, "checksum": stats.checksum},
        )
        body["physical_address"], body["physical_address_expiry"] = url, expiry
    return body


def stat_object(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    ref = req.params["ref"]
    stats = repo.stat_object(ref, req.q_required("path"))
    return Response(200, _stats_json(state, repo, ref, stats, req), "ObjectStats")


def list_objects(state: ServerState, req: Request) -> Response:
    req.q_bool("user_metadata"), req.q_bool("presign")  # invalid booleans are 400 even when empty
    repo = state.repo(req.params["repository"])
    ref = req.params["ref"]
    amount = amount_of(req.q("amount"), state.page_limit)
    found = repo.list_objects(
        ref,
        prefix=req.q("prefix") or "",
        delimiter=req.q("delimiter") or "",
        after=req.q("after") or "",
        amount=amount + 1,
    )
    items, pagination = page(found, amount, lambda item: item.path)
    results = [
        common_prefix_json(item.path)
        if isinstance(item, CommonPrefix)
        else _stats_json(state, repo, ref, item, req)
        for item in items
    ]
    return Response(200, listing(results, pagination), "ObjectStatsList")


def update_user_metadata(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    branch, path = req.params["branch"], req.q_required("path")
    state.require_branch(repo, branch)
    body = req.json()
    if not isinstance(body.get("set"), dict):
        raise bad_request('request body has an error: property "set" is missing')
    metadata = string_map(body, "set")
    stats = repo.stat_object(branch, path)
    # The embedded store has no metadata-only write: re-stage the same bytes with new metadata.
    stream: BinaryIO = repo.open_object(branch, path)
    with stream:
        repo.put_object(branch, path, stream, metadata=metadata, content_type=stats.content_type)
    return Response(201)


ROUTES = [
    Route("GET", REPO + "/refs/{ref}/objects", get_object),
    Route("HEAD", REPO + "/refs/{ref}/objects", head_object),
    Route("GET", REPO + "/refs/{ref}/objects/stat", stat_object),
    Route("GET", REPO + "/refs/{ref}/objects/ls", list_objects),
    Route("POST", REPO + "/branches/{branch}/objects", upload_object),
    Route("DELETE", REPO + "/branches/{branch}/objects", delete_object),
    Route("POST", REPO + "/branches/{branch}/objects/delete", delete_objects),
    Route("PUT", REPO + "/branches/{branch}/objects/stat/user_metadata", update_user_metadata),
]
