"""Blobs: dedup across branches and repositories, atomic writes, corruption detection.

Both tiers are covered: small blobs (rows of SQLite's small_blobs) and large ones (files).
"""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import blake3
import pytest

from lakeline.errors import CorruptObjectError, InvalidInputError, NotFoundError
from lakeline.store import Upload
from lakeline.store.local import LocalRepository, LocalStore
from lakeline.store.local.blobs import SMALL_BLOB, SMALL_FILE

SMALL, LARGE = 10_000, SMALL_BLOB + 1000


def _blob_files(store: LocalStore) -> list[Path]:
    return [p for p in (store.root / "blobs").rglob("*") if p.is_file()]


def _small_rows(store: LocalStore) -> dict[str, bytes]:
    with sqlite3.connect(store.root / "metadata.sqlite") as db:
        return {str(c): bytes(d) for c, d in db.execute("SELECT checksum, data FROM small_blobs")}


def _damage_small_blob(store: LocalStore, checksum: str, data: bytes | None) -> None:
    """UPDATE the row (or DELETE it when ``data`` is None) from another connection."""
    with sqlite3.connect(store.root / "metadata.sqlite") as db:
        if data is None:
            db.execute("DELETE FROM small_blobs WHERE checksum=?", (checksum,))
        else:
            db.execute("UPDATE small_blobs SET data=? WHERE checksum=?", (data, checksum))


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_identical_bytes_are_stored_once_across_branches_and_repositories(
    store: LocalStore, repo: LocalRepository, tmp_path: Path, size: int
) -> None:
    payload = os.urandom(size)
    source = tmp_path / "same.bin"
    source.write_bytes(payload)
    repo.put_object("main", "a.bin", payload)
    repo.commit("main", "a")
    repo.create_branch("dev", "main")
    repo.put_object("dev", "copy.bin", io.BytesIO(payload))
    repo.put_object("dev", "again.bin", source)
    repo.put_objects("dev", [Upload("batch-1.bin", source), Upload("batch-2.bin", source)], workers=2)
    other = store.create_repository("other-repo")
    other.put_object("main", "x.bin", payload)
    files, rows = _blob_files(store), _small_rows(store)
    if size <= SMALL_BLOB:
        assert (files, list(rows.values())) == ([], [payload])
    else:
        assert (len(files), rows) == (1, {})
    paths = ("a.bin", "copy.bin", "again.bin", "batch-1.bin", "batch-2.bin")
    assert len({repo.stat_object("dev", p).physical_address for p in paths}) == 1
    assert all(repo.get_object("dev", p) == payload for p in paths)


def test_small_blob_is_a_row_named_by_its_blake3(store: LocalStore, repo: LocalRepository) -> None:
    stats = repo.put_object("main", "a", b"hello")
    assert stats.checksum == blake3.blake3(b"hello").hexdigest()
    database = store.root / "metadata.sqlite"
    assert stats.physical_address == f"sqlite://{database}#{stats.checksum}"
    assert _small_rows(store) == {stats.checksum: b"hello"}
    assert _blob_files(store) == []


def test_large_blob_is_a_file_named_by_its_blake3_and_read_only(
    store: LocalStore, repo: LocalRepository
) -> None:
    data = os.urandom(LARGE)
    stats = repo.put_object("main", "a", data)
    assert stats.checksum == blake3.blake3(data).hexdigest()
    blob = Path(stats.physical_address)
    assert blob == store.root / "blobs" / stats.checksum[:2] / stats.checksum
    assert blob.read_bytes() == data
    assert not os.access(blob, os.W_OK) or os.geteuid() == 0
    assert blob.stat().st_mode & 0o222 == 0


def test_large_file_is_copied_hashed_and_deduplicated(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    data = os.urandom(SMALL_FILE + 12345)
    big.write_bytes(data)
    first = repo.put_object("main", "big", big)
    second = repo.put_object("main", "big-again", big)
    assert first.checksum == second.checksum == blake3.blake3(data).hexdigest()
    assert first.size_bytes == len(data)
    assert len(_blob_files(store)) == 1
    assert repo.get_object("main", "big") == data
    with repo.open_object("main", "big") as stream:
        assert stream.read() == data
    assert list((store.root / "tmp").iterdir()) == []


def test_no_temp_files_are_left_after_writes(store: LocalStore, repo: LocalRepository) -> None:
    repo.put_object("main", "a", b"a")
    repo.put_object("main", "s", io.BytesIO(b"s" * 100_000))
    repo.commit("main", "c")
    assert list((store.root / "tmp").iterdir()) == []


def test_objects_at_the_tier_boundary_round_trip_through_every_write_and_read(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    for size in (0, 1, SMALL_BLOB, SMALL_BLOB + 1, SMALL_FILE + 1):
        data = os.urandom(size)
        source = tmp_path / f"src-{size}"
        source.write_bytes(data)
        repo.put_object("main", f"bytes-{size}", data)
        repo.put_object("main", f"stream-{size}", io.BytesIO(data))
        repo.put_object("main", f"file-{size}", source)
        repo.put_objects("main", [Upload(f"batch-{size}", source), Upload(f"batch2-{size}", source)])
        for kind in ("bytes", "stream", "file", "batch", "batch2"):
            path = f"{kind}-{size}"
            assert repo.get_object("main", path) == data
            with repo.open_object("main", path) as stream:
                assert stream.read() == data
            repo.download_object("main", path, tmp_path / "out" / path)
            assert (tmp_path / "out" / path).read_bytes() == data
    sizes = {len(d) for d in _small_rows(store).values()}
    assert sizes == {0, 1, SMALL_BLOB}
    assert sorted(p.stat().st_size for p in _blob_files(store)) == [SMALL_BLOB + 1, SMALL_FILE + 1]


def test_put_objects_of_many_small_files_creates_no_files_under_blobs(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    uploads = []
    for i in range(600):
        source = tmp_path / "src" / f"d{i % 7}" / f"f{i:04d}.bin"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(os.urandom(1 + i * (SMALL_BLOB // 600)))  # 1 byte .. SMALL_BLOB
        uploads.append(Upload(f"data/{i:04d}", source))
    stats = repo.put_objects("main", uploads, workers=4)
    repo.commit("main", "many small files")
    assert _blob_files(store) == []
    assert list((store.root / "tmp").iterdir()) == []
    assert len(_small_rows(store)) == 600
    for upload, stat in zip(uploads, stats, strict=True):
        assert repo.get_object("main", upload.path) == Path(upload.source).read_bytes()
        assert stat.physical_address.startswith("sqlite://")


def test_put_objects_holding_more_than_the_memory_budget_commits_blobs_early_and_stages_all(
    store: LocalStore, repo: LocalRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeline.store.local import blobs

    monkeypatch.setattr(blobs, "HELD_BYTES_MAX", 10_000)
    uploads = []
    for i in range(300):
        source = tmp_path / f"f{i}"
        source.write_bytes(os.urandom(1000 + i))
        uploads.append(Upload(f"f{i:03d}", source))
    repo.put_objects("main", uploads, workers=3)
    assert len(_small_rows(store)) == 300
    assert [c.path for c in repo.diff_uncommitted("main")] == [u.path for u in uploads]
    assert all(repo.get_object("main", u.path) == Path(u.source).read_bytes() for u in uploads)


def test_flipped_byte_in_a_small_blob_row_is_detected_on_every_read(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    for size in (100, SMALL_BLOB):
        path = f"obj-{size}"
        stats = repo.put_object("main", path, os.urandom(size))
        raw = bytearray(_small_rows(store)[stats.checksum])
        raw[size // 2] ^= 0x01
        _damage_small_blob(store, stats.checksum, bytes(raw))
        with pytest.raises(CorruptObjectError, match=path):
            repo.get_object("main", path)
        with pytest.raises(CorruptObjectError):
            repo.open_object("main", path)
        dest = tmp_path / f"out-{size}"
        with pytest.raises(CorruptObjectError):
            repo.download_object("main", path, dest)
        assert not dest.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_flipped_byte_in_a_large_blob_file_is_detected_on_every_read(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    for size in (SMALL_BLOB + 1, SMALL_FILE + 10):  # in-memory and streamed read paths
        path = f"obj-{size}"
        stats = repo.put_object("main", path, os.urandom(size))
        blob = Path(stats.physical_address)
        os.chmod(blob, 0o644)
        raw = bytearray(blob.read_bytes())
        raw[size // 2] ^= 0x01
        blob.write_bytes(bytes(raw))
        with pytest.raises(CorruptObjectError, match=path):
            repo.get_object("main", path)
        with pytest.raises(CorruptObjectError):
            repo.open_object("main", path)
        dest = tmp_path / f"out-{size}"
        with pytest.raises(CorruptObjectError):
            repo.download_object("main", path, dest)
        assert not dest.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_missing_blob_is_reported_as_corruption_not_absence(store: LocalStore, repo: LocalRepository) -> None:
    small = repo.put_object("main", "small", b"gone soon")
    large = repo.put_object("main", "large", os.urandom(LARGE))
    _damage_small_blob(store, small.checksum, None)
    Path(large.physical_address).unlink()
    for path in ("small", "large"):
        with pytest.raises(CorruptObjectError, match="missing"):
            repo.get_object("main", path)
        with pytest.raises(CorruptObjectError, match="missing"):
            repo.open_object("main", path)


def test_damaged_range_file_is_detected(store: LocalStore, repo: LocalRepository) -> None:
    repo.put_object("main", "a", b"a")
    commit = repo.commit("main", "c")
    store.close()
    reopened = LocalStore(store.root, committer="tester")
    metarange = reopened.manifests.read_metarange(commit.meta_range_id)
    range_file = reopened.manifests.range_path(metarange.ranges[0].id)
    os.chmod(range_file, 0o644)
    range_file.write_bytes(b"not parquet")
    with pytest.raises(CorruptObjectError, match="range"):
        reopened.repository("local-test").get_object("main", "a")
    reopened.close()


def test_put_rejects_unreadable_sources(repo: LocalRepository, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        repo.put_object("main", "a", tmp_path / "missing")
    with pytest.raises(InvalidInputError):
        repo.put_object("main", "a", tmp_path)
    with pytest.raises(InvalidInputError):
        repo.put_object("main", "a", "text is not bytes")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        repo.put_object("main", "a", io.StringIO("text stream"))  # type: ignore[arg-type]
    assert list(repo.diff_uncommitted("main")) == []


def test_put_objects_with_a_missing_source_stages_nothing(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    good = tmp_path / "good"
    good.write_bytes(b"good")
    uploads = [Upload("good", good), Upload("missing", tmp_path / "missing"), Upload("good2", good)]
    with pytest.raises(NotFoundError, match="missing"):
        repo.put_objects("main", uploads, workers=2)
    assert list(repo.diff_uncommitted("main")) == []
    assert _small_rows(store) == {}  # the good file's blob was held, never inserted
