"""Requests and responses on the wire, and the JSON shapes of lakeFS's API models.

`Request` parses what lakefs-sdk sends (booleans as True/False in any case, repeated list
parameters, percent-encoded path segments, raw or chunked bodies); `Response` is what a
handler returns. The ``*_json`` functions build lakeFS's JSON for the store's value types.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, BinaryIO
from urllib.parse import parse_qs

from lakeline.store import Change, Commit, ObjectStats, RepositoryInfo

from .errors import ApiError, bad_request

CHUNK = 1 << 20


class ClientGone(ConnectionError):
    """The client closed the connection before sending the whole request body."""


class BodyReader:
    """The request body as a stream: exactly Content-Length bytes, or a chunked body decoded."""

    def __init__(self, rfile: BinaryIO, headers: Message) -> None:
        self.rfile = rfile
        self.chunked = "chunked" in str(headers.get("Transfer-Encoding", "")).lower()
        length = headers.get("Content-Length")
        self.remaining = int(length) if length and not self.chunked else 0
        self.chunk_left = 0
        self.done = not self.chunked and self.remaining == 0

    def read(self, size: int = -1) -> bytes:
        if self.done:
            return b""
        if size is None or size < 0:
            size = CHUNK
        if not self.chunked:
            data = self.rfile.read(min(size, self.remaining))
            if not data:
                # The client went away mid-body: what arrived must not be stored as the object.
                raise ClientGone(f"request body ended {self.remaining} bytes short of its Content-Length")
            self.remaining -= len(data)
            if self.remaining == 0:
                self.done = True
            return data
        if self.chunk_left == 0:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            self.chunk_left = int(line or b"0", 16)
            if self.chunk_left == 0:
                while self.rfile.readline(1024).strip():  # trailers, then the empty line
                    pass
                self.done = True
                return b""
        data = self.rfile.read(min(size, self.chunk_left))
        if not data:
            raise ClientGone("chunked request body ended inside a chunk")
        self.chunk_left -= len(data)
        if self.chunk_left == 0:
            self.rfile.readline(8)  # the CRLF after each chunk
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: Message
    body: BodyReader
    user: str = ""

    @classmethod
    def parse_query(cls, raw: str) -> dict[str, list[str]]:
        return parse_qs(raw, keep_blank_values=True)

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def q_required(self, name: str) -> str:
        value = self.q(name)
        if value is None:
            raise bad_request(f'parameter "{name}" in query has an error: value is required but missing')
        return value

    def q_bool(self, name: str) -> bool | None:
        value = self.q(name)
        if value is None or value == "":
            return None
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise bad_request(f'parameter "{name}" in query has an error: value {value}: an invalid boolean')

    def q_list(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def json(self) -> dict[str, Any]:
        raw = b"".join(iter(lambda: self.body.read(CHUNK), b""))
        if not raw:
            return {}
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise bad_request(
                "request body has an error: failed to decode request body: invalid JSON"
            ) from None
        if not isinstance(parsed, dict):
            raise bad_request("request body has an error: value must be an object")
        return parsed


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list -> JSON, str -> text/html, bytes -> as is, None -> empty
    model: str | None = None  # lakefs-sdk model the JSON body must deserialize into
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None  # a streamed body (headers must carry Content-Length)


def json_field(body: Mapping[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f'request body has an error: property "{name}" is missing')
        return None
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise bad_request(f'request body has an error: property "{name}" has the wrong type')
    return value


def string_map(body: Mapping[str, Any], name: str) -> dict[str, str]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ApiError(400, f'request body has an error: property "{name}" must map strings to strings')
    return dict(value)


# --- lakeFS JSON for store values -------------------------------------------------------------
def repository_json(info: RepositoryInfo) -> dict[str, Any]:
    return {
        "id": info.name,
        "creation_date": int(info.creation_date),
        "default_branch": info.default_branch,
        "storage_namespace": info.storage_namespace,
        "read_only": False,
    }


def ref_json(name: str, commit_id: str) -> dict[str, Any]:
    return {"id": name, "commit_id": commit_id}


def commit_json(commit: Commit) -> dict[str, Any]:
    return {
        "id": commit.id,
        "parents": list(commit.parents),
        "committer": commit.committer,
        "message": commit.message,
        "creation_date": int(commit.creation_date),
        "meta_range_id": commit.meta_range_id,
        "metadata": dict(commit.metadata),
        "generation": int(commit.generation),
        "version": 1,
    }


def object_json(stats: ObjectStats, *, checksum: str, physical_address: str) -> dict[str, Any]:
    return {
        "path": stats.path,
        "path_type": "object",
        "physical_address": physical_address,
        "checksum": checksum,
        "size_bytes": int(stats.size_bytes),
        "mtime": int(stats.mtime),
        "metadata": dict(stats.metadata),
        "content_type": stats.content_type,
    }


def common_prefix_json(path: str) -> dict[str, Any]:
    # lakeFS serializes its Go struct whole: required fields come back as zero values.
    return {"path": path, "path_type": "common_prefix", "physical_address": "", "checksum": "", "mtime": 0}


def diff_json(change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": change.type, "path": change.path, "path_type": "object"}
    if change.size_bytes is not None:
        entry["size_bytes"] = int(change.size_bytes)
    return entry


def listing(results: list[dict[str, Any]], pagination: dict[str, Any]) -> dict[str, Any]:
    return {"pagination": pagination, "results": results}
