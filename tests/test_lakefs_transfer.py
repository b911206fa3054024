"""The lakeFS data path: pre-signed or through the API as the server says, streamed in
bounded memory, verified by checksum, parallel for many files, replayable for retries."""

from __future__ import annotations

import io
import os
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeline.errors import CorruptObjectError, NotFoundError
from lakeline.store import Upload
from lakeline.store.lakefs import LakeFSRepository, LakeFSStore
from lakeline.store.lakefs.client import RetryPolicy
from tests.lakefs_server import LakeFSTestServer


@pytest.fixture(scope="module", params=[False, True], ids=["api", "presigned"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LakeFSTestServer]:
    with LakeFSTestServer(tmp_path_factory.mktemp("lakefs-transfer"), presign=request.param) as running:
        yield running


@pytest.fixture
def store(server: LakeFSTestServer) -> Iterator[LakeFSStore]:
    with LakeFSStore(
        endpoint=server.url, access_key_id=server.access_key_id, secret_access_key=server.secret_access_key
    ) as opened:
        opened.client.retry = RetryPolicy(attempts=4, base_delay=0.001)
        yield opened


@pytest.fixture
def repo(store: LakeFSStore, server: LakeFSTestServer) -> LakeFSRepository:
    server.clear_requests()
    return store.create_repository(f"transfer-{uuid.uuid4().hex[:10]}")


def data_requests(server: LakeFSTestServer) -> list[tuple[str, str]]:
    return [(m, p) for m, p in server.requests if p.startswith("/_presigned/") or p.endswith("/objects")]


def test_bytes_go_where_the_server_config_says(repo: LakeFSRepository, server: LakeFSTestServer) -> None:
    repo.put_object("main", "a.bin", b"payload")
    assert repo.get_object("main", "a.bin") == b"payload"
    used = data_requests(server)
    presigned = [r for r in used if r[1].startswith("/_presigned/")]
    through_api = [r for r in used if r[1].endswith("/objects")]
    if server.presign:
        assert [m for m, _ in presigned] == ["PUT", "GET"] and through_api == []
    else:
        assert presigned == [] and [m for m, _ in through_api] == ["POST", "GET"]


def test_nul_bytes_and_every_byte_value_round_trip(repo: LakeFSRepository, tmp_path: Path) -> None:
    # lakefs-sdk's upload_object fails on bytes with NUL (lakeFS issue 8923): streamed instead.
    payload = bytes(range(256)) * 1000 + b"\x00\x00"
    repo.put_object("main", "binary.bin", payload)
    assert repo.get_object("main", "binary.bin") == payload
    repo.download_object("main", "binary.bin", tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == payload


def test_metadata_keeps_case_and_unicode_on_both_paths(repo: LakeFSRepository) -> None:
    metadata = {"Owner": "Zoë", "run-id": "42", "note": " padded "}
    stats = repo.put_object("main", "m.txt", b"m", metadata=metadata, content_type="text/plain")
    assert dict(stats.metadata) == metadata
    assert dict(repo.stat_object("main", "m.txt").metadata) == metadata
    assert repo.stat_object("main", "m.txt").content_type == "text/plain"


def test_checksum_is_the_md5_lakefs_reports_and_is_verified_on_read(
    repo: LakeFSRepository, server: LakeFSTestServer, tmp_path: Path
) -> None:
    import hashlib

    stats = repo.put_object("main", "model.pkl", b"weights" * 1000)
    assert stats.checksum == hashlib.md5(b"weights" * 1000).hexdigest()
    server.corrupt("model.pkl")
    try:
        with pytest.raises(CorruptObjectError, match=r"model\.pkl"):
            repo.get_object("main", "model.pkl")
        with repo.open_object("main", "model.pkl") as stream, pytest.raises(CorruptObjectError):
            stream.read(7000)  # exactly the size: no read ever reaches EOF
        dest = tmp_path / "out" / "model.pkl"
        with pytest.raises(CorruptObjectError):
            repo.download_object("main", "model.pkl", dest)
        assert not dest.parent.exists() or list(dest.parent.iterdir()) == []
    finally:
        server.state.corrupt_paths.discard("model.pkl")
    assert repo.get_object("main", "model.pkl") == b"weights" * 1000


def test_large_object_moves_in_bounded_memory(repo: LakeFSRepository, tmp_path: Path) -> None:
    size = 48 << 20
    source = tmp_path / "big.bin"
    with source.open("wb") as out:
        for _ in range(size >> 20):
            out.write(os.urandom(1 << 20))
    tracemalloc.start()
    try:
        repo.put_object("main", "big.bin", source)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        stats = repo.download_object("main", "big.bin", tmp_path / "back.bin")
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.size_bytes == size
    assert (tmp_path / "back.bin").stat().st_size == size
    # Client and in-process server together hold a few 1 MiB buffers, never the object.
    assert upload_peak < 12 << 20, upload_peak
    assert download_peak < 12 << 20, download_peak


def test_put_objects_runs_in_parallel_and_returns_stats_in_input_order(
    repo: LakeFSRepository, tmp_path: Path
) -> None:
    uploads = []
    for i in range(60):
        path = tmp_path / f"f{i}"
        path.write_bytes(f"file {i}".encode())
        uploads.append(Upload(path=f"data/{59 - i:02d}.txt", source=path, metadata={"i": str(i)}))
    stats = repo.put_objects("main", uploads, workers=8)
    assert [s.path for s in stats] == [u.path for u in uploads]
    assert [s.metadata["i"] for s in stats] == [str(i) for i in range(60)]
    assert repo.get_object("main", "data/00.txt") == b"file 59"


def test_upload_retried_after_503_replays_the_whole_body(
    repo: LakeFSRepository, server: LakeFSTestServer
) -> None:
    payload = os.urandom(3 << 20)
    target = r"/_presigned/uploads/" if server.presign else r"/branches/main/objects$"
    server.inject(503, times=1, method="PUT" if server.presign else "POST", path_pattern=target)
    repo.put_object("main", "retried.bin", io.BytesIO(payload))
    assert repo.get_object("main", "retried.bin") == payload


class _Pipe(io.RawIOBase):
    """A readable, non-seekable stream (like a pipe or a socket)."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = self.inner.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_missing_local_file_is_not_found(repo: LakeFSRepository, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        repo.put_objects("main", [Upload("a", tmp_path / "missing")])


def test_non_seekable_and_offset_streams_upload_what_remains(repo: LakeFSRepository) -> None:
    repo.put_object("main", "pipe.bin", _Pipe(b"x" * 10_000))  # type: ignore[arg-type]
    assert repo.get_object("main", "pipe.bin") == b"x" * 10_000
    stream = io.BytesIO(b"HEADERbody")
    stream.seek(6)
    repo.put_object("main", "offset.bin", stream)
    assert repo.get_object("main", "offset.bin") == b"body"


def test_open_object_streams_and_verifies_at_the_end(repo: LakeFSRepository) -> None:
    payload = os.urandom((2 << 20) + 17)
    repo.put_object("main", "s.bin", payload)
    with repo.open_object("main", "s.bin") as stream:
        first = stream.read(1000)
        rest = stream.read()
    assert first + rest == payload


def test_presigned_downloads_never_return_the_signed_url(repo: LakeFSRepository, tmp_path: Path) -> None:
    repo.put_object("main", "a", b"a")
    stats = repo.download_object("main", "a", tmp_path / "a")
    assert "_presigned" not in stats.physical_address and "http" not in stats.physical_address


def test_objects_over_the_single_put_limit_go_through_lakefs(
    repo: LakeFSRepository, server: LakeFSTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # S3 takes at most 5 GiB in one PUT; the limit is lowered here instead of moving 5 GiB.
    monkeypatch.setattr("lakeline.store.lakefs.store.PRESIGNED_PUT_MAX", 1000)
    repo.put_object("main", "over.bin", b"o" * 2000)
    repo.put_object("main", "under.bin", b"u" * 10)
    uploads = [(m, p) for m, p in data_requests(server) if m in ("POST", "PUT")]
    if server.presign:
        assert [m for m, _ in uploads] == ["POST", "PUT"]
        assert uploads[1][0] == "PUT" and uploads[1][1].startswith("/_presigned/uploads/")
    else:
        assert [m for m, _ in uploads] == ["POST", "POST"]
    assert repo.get_object("main", "over.bin") == b"o" * 2000


class _Shrinking(io.BytesIO):
    """Claims (by seeking) more bytes than it then gives: a file truncated while uploading."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(min(size if size and size > 0 else 10, 10)) if self.tell() < 10 else b""


def test_a_source_that_shrinks_during_upload_fails_cleanly(repo: LakeFSRepository) -> None:
    from lakeline.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="changed while being uploaded"):
        repo.put_object("main", "shrunk.bin", _Shrinking(b"x" * 5000))
    with pytest.raises(NotFoundError):
        repo.stat_object("main", "shrunk.bin")
    repo.put_object("main", "after.bin", b"the connection pool still works")
    assert repo.get_object("main", "after.bin") == b"the connection pool still works"
