"""Object bytes to and from lakeFS, streamed in bounded memory and verified.

Uploads go to a pre-signed URL (``staging/backing`` + PUT + link) when the server supports
pre-signing, otherwise as a raw streamed body to ``POST .../objects`` (lakefs-sdk's
``upload_object`` needs the whole object in memory). Reads use ``presign=true`` stat + a GET
of the pre-signed URL, or ``GET .../objects``. A checksum of 32 hex digits is the MD5 of the
bytes (what lakeFS stores for single-part uploads, and what lakeline links after a pre-signed
upload), so it is verified on every transfer; other checksums (multipart ETags) are not
checkable and only the size is.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import urllib3

from lakeline.errors import CorruptObjectError, InvalidInputError, NotFoundError, StoreUnavailableError
from lakeline.store.base import Data
from lakeline.store.lakefs.client import LakeFSClient

CHUNK = 1 << 20
MD5_HEX = re.compile(r"^[0-9a-f]{32}$")
# User metadata travels in X-Lakefs-Meta-* headers only if lakeFS keeps it unchanged there:
# lowercase token keys (lakeFS lowercases header names) and printable ASCII values.
_HEADER_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]*$")


def checkable(checksum: str) -> bool:
    return bool(MD5_HEX.match(checksum))


def headers_can_carry(metadata: Mapping[str, str]) -> bool:
    return all(
        _HEADER_KEY.match(k) and _HEADER_VALUE.match(v) and v == v.strip() for k, v in metadata.items()
    )


# --- sources ----------------------------------------------------------------------------------
@dataclass
class Source:
    """A body that can be replayed for retries: ``open()`` gives a fresh reader at the start."""

    size: int
    open: Callable[[], BinaryIO]


@contextlib.contextmanager
def source_of(data: Data) -> Iterator[Source]:
    """bytes, a local path, or a binary stream (seekable ones are rewound; others are spooled
    to a temporary file first, so memory stays bounded and retries can replay them)."""
    if isinstance(data, bytes | bytearray | memoryview):
        payload = bytes(data)
        yield Source(len(payload), lambda: io.BytesIO(payload))
        return
    if isinstance(data, Path):
        try:
            size = data.stat().st_size
        except FileNotFoundError:
            raise NotFoundError(f"local file {data} not found") from None
        except OSError as exc:
            raise InvalidInputError(f"cannot read {data}: {exc.strerror or type(exc).__name__}") from None
        with _FileOpener(data) as opener:
            yield Source(size, opener)
        return
    stream = data
    if _seekable(stream):
        start = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(start)

        def rewind() -> BinaryIO:
            stream.seek(start)
            return _NoClose(stream)  # type: ignore[return-value]

        yield Source(end - start, rewind)
        return
    with tempfile.TemporaryFile(prefix="lakeline-upload-") as spool:
        shutil.copyfileobj(stream, spool, CHUNK)
        size = spool.tell()

        def rewind_spool() -> BinaryIO:
            spool.seek(0)
            return _NoClose(spool)  # type: ignore[return-value]

        yield Source(size, rewind_spool)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False


class _FileOpener:
    """Opens the file once per attempt and closes every handle it gave out."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handles: list[BinaryIO] = []

    def __call__(self) -> BinaryIO:
        handle = self.path.open("rb")
        self.handles.append(handle)
        return handle

    def __enter__(self) -> _FileOpener:
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self.handles:
            handle.close()


class _NoClose(io.RawIOBase):
    """A view of a caller's stream that urllib3 may read but must not close."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        return self.inner.read(size)


class HashingReader(io.RawIOBase):
    """Reads exactly ``size`` bytes through from ``inner`` while hashing them (MD5, the lakeFS
    checksum). The body must match the Content-Length sent: a source that grew is cut there,
    one that shrank fails the upload (instead of leaving the server waiting for bytes)."""

    def __init__(self, inner: BinaryIO, size: int) -> None:
        self.inner = inner
        self.size = size
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        wanted = min(size if size is not None and size >= 0 else CHUNK, self.size - self.count)
        if wanted <= 0:
            return b""
        data = self.inner.read(wanted)
        if not data:
            raise InvalidInputError(
                f"the upload source ended after {self.count} of {self.size} bytes: it changed while "
                "being uploaded; upload it again"
            )
        self.md5.update(data)
        self.count += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- reading ------------------------------------------------------------------------------------
class VerifyingReader(io.RawIOBase):
    """The body of a download; at its end the size and (when checkable) MD5 are compared with
    what lakeFS recorded, and a mismatch raises CorruptObjectError."""

    def __init__(
        self, response: urllib3.BaseHTTPResponse, *, size: int | None, checksum: str, what: str
    ) -> None:
        self.response = response
        self.size = size
        self.checksum = checksum
        self.what = what
        self.md5 = hashlib.md5(usedforsecurity=False) if checkable(checksum) else None
        self.count = 0
        self.verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.closed:
            raise ValueError("read from a closed object stream")
        try:
            data = self.response.read(len(buffer))
        except urllib3.exceptions.HTTPError as exc:
            raise StoreUnavailableError(
                f"{self.what}: the download broke off after {self.count} bytes ({type(exc).__name__}); "
                "try again"
            ) from None
        if not data:
            self._verify()
            return 0
        if self.md5 is not None:
            self.md5.update(data)
        self.count += len(data)
        buffer[: len(data)] = data
        if self.size is not None and self.count >= self.size:
            # A reader that stops at exactly the expected size never asks for EOF: check now.
            self._verify()
        return len(data)

    def _verify(self) -> None:
        if self.verified:
            return
        self.verified = True
        if self.size is not None and self.count != self.size:
            raise CorruptObjectError(
                f"{self.what}: received {self.count} bytes but lakeFS recorded {self.size}; "
                "the stored object is damaged or the transfer was cut"
            )
        if self.md5 is not None and self.md5.hexdigest() != self.checksum:
            raise CorruptObjectError(
                f"{self.what}: content MD5 {self.md5.hexdigest()} does not match lakeFS's checksum "
                f"{self.checksum}; the stored object is damaged"
            )

    def close(self) -> None:
        if not self.closed:
            self.response.release_conn()
        super().close()


def open_reader(
    client: LakeFSClient,
    *,
    repository: str,
    ref: str,
    path: str,
    size: int | None,
    checksum: str | None,
    presigned_url: str | None,
) -> BinaryIO:
    """A verified stream of one object's bytes (pre-signed URL when given, else the API, whose
    ETag and Content-Length stand in for a checksum and size not known beforehand)."""
    what = f"read '{path}' at '{ref}' in lakeFS repository '{repository}'"
    if presigned_url:
        response = client.raw(what, "GET", presigned_url, authenticated=False, stream=True, ok=(200,))
    else:
        url = client.url("repositories", repository, "refs", ref, "objects", query=[("path", path)])
        response = client.raw(what, "GET", url, stream=True, ok=(200,))
        if checksum is None:
            checksum = str(response.headers.get("ETag", "")).strip().strip('"')
        if size is None:
            length = response.headers.get("Content-Length")
            size = int(length) if length is not None and length.isdigit() else None
    raw = VerifyingReader(response, size=size, checksum=checksum or "", what=what)
    return io.BufferedReader(raw, buffer_size=CHUNK)  # type: ignore[arg-type, return-value]


def download_to(reader: BinaryIO, dest: Path) -> None:
    """Copy a verified stream to ``dest`` atomically: a temporary file in the same folder is
    renamed over ``dest`` only after the whole content verified."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".lakeline-tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, reader:
            shutil.copyfileobj(reader, out, CHUNK)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- writing ----------------------------------------------------------------------------------
def upload_api(
    client: LakeFSClient,
    *,
    repository: str,
    branch: str,
    path: str,
    source: Source,
    metadata: Mapping[str, str],
    content_type: str,
) -> tuple[dict[str, Any], str]:
    """Stream the body to ``POST .../branches/{b}/objects``; returns (ObjectStats JSON, md5)."""
    what = f"upload '{path}' to branch '{branch}' of lakeFS repository '{repository}'"
    url = client.url("repositories", repository, "branches", branch, "objects", query=[("path", path)])
    headers = {"Content-Type": content_type, "Content-Length": str(source.size)}
    for key, value in metadata.items():
        headers[f"X-Lakefs-Meta-{key}"] = value
    hashers: list[HashingReader] = []

    def body() -> HashingReader:
        hashers.append(HashingReader(source.open(), source.size))
        return hashers[-1]

    response = client.raw(what, "POST", url, body=body, headers=headers, idempotent=True, ok=(201, 200))
    stats: dict[str, Any] = json.loads(response.data)
    sent = hashers[-1]
    md5 = sent.md5.hexdigest()
    _check_upload(what, stats, md5, sent.count, source.size)
    return stats, md5


def upload_presigned(
    client: LakeFSClient, *, presigned_url: str, source: Source, what: str, blockstore: str = ""
) -> str:
    """PUT the body to a pre-signed URL; returns the MD5 of what was sent."""
    hashers: list[HashingReader] = []

    def body() -> HashingReader:
        hashers.append(HashingReader(source.open(), source.size))
        return hashers[-1]

    headers = {"Content-Length": str(source.size)}
    if blockstore == "azure":  # Azure refuses a pre-signed PUT that does not name the blob type
        headers["x-ms-blob-type"] = "BlockBlob"
    response = client.raw(
        what,
        "PUT",
        presigned_url,
        body=body,
        headers=headers,
        authenticated=False,
        ok=(200, 201, 204),
    )
    response.release_conn()
    sent = hashers[-1]
    if sent.count != source.size:
        raise CorruptObjectError(f"{what}: sent {sent.count} bytes, expected {source.size}; try again")
    return sent.md5.hexdigest()


def _check_upload(what: str, stats: Mapping[str, Any], md5: str, sent: int, size: int) -> None:
    if sent != size:
        raise CorruptObjectError(f"{what}: sent {sent} bytes, expected {size}; the source changed")
    stored_size = stats.get("size_bytes")
    if isinstance(stored_size, int) and stored_size != size:
        raise CorruptObjectError(f"{what}: lakeFS stored {stored_size} bytes of {size}; upload again")
    checksum = str(stats.get("checksum", ""))
    if checkable(checksum) and checksum != md5:
        raise CorruptObjectError(
            f"{what}: lakeFS stored checksum {checksum} but the bytes sent hash to {md5}; upload again"
        )
