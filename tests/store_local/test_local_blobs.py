"""Blobs: dedup across branches and repositories, atomic writes, corruption detection."""

from __future__ import annotations

import io
import os
from pathlib import Path

import blake3
import pytest

from lakeline.errors import CorruptObjectError, InvalidInputError, NotFoundError
from lakeline.store.local import LocalRepository, LocalStore
from lakeline.store.local.blobs import SMALL_FILE


def _blob_files(store: LocalStore) -> list[Path]:
    return [p for p in (store.root / "blobs").rglob("*") if p.is_file()]


def test_identical_bytes_are_stored_once_across_branches_and_repositories(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    payload = os.urandom(10_000)
    source = tmp_path / "same.bin"
    source.write_bytes(payload)
    repo.put_object("main", "a.bin", payload)
    repo.commit("main", "a")
    repo.create_branch("dev", "main")
    repo.put_object("dev", "copy.bin", io.BytesIO(payload))
    repo.put_object("dev", "again.bin", source)
    other = store.create_repository("other-repo")
    other.put_object("main", "x.bin", payload)
    assert len(_blob_files(store)) == 1
    stats = {repo.stat_object("dev", p).physical_address for p in ("a.bin", "copy.bin", "again.bin")}
    assert len(stats) == 1


def test_blob_is_named_by_its_blake3_and_read_only(store: LocalStore, repo: LocalRepository) -> None:
    stats = repo.put_object("main", "a", b"hello")
    assert stats.checksum == blake3.blake3(b"hello").hexdigest()
    blob = Path(stats.physical_address)
    assert blob == store.root / "blobs" / stats.checksum[:2] / stats.checksum
    assert blob.read_bytes() == b"hello"
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


def test_flipped_byte_in_a_blob_is_detected_on_every_read(
    store: LocalStore, repo: LocalRepository, tmp_path: Path
) -> None:
    for size in (100, SMALL_FILE + 10):  # in-memory and streamed read paths
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


def test_missing_blob_is_reported_as_corruption_not_absence(repo: LocalRepository) -> None:
    stats = repo.put_object("main", "a", b"gone soon")
    Path(stats.physical_address).unlink()
    with pytest.raises(CorruptObjectError, match="missing"):
        repo.get_object("main", "a")


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


def test_put_objects_with_a_missing_source_stages_nothing(repo: LocalRepository, tmp_path: Path) -> None:
    from lakeline.store import Upload

    good = tmp_path / "good"
    good.write_bytes(b"good")
    uploads = [Upload("good", good), Upload("missing", tmp_path / "missing"), Upload("good2", good)]
    with pytest.raises(NotFoundError, match="missing"):
        repo.put_objects("main", uploads, workers=2)
    assert list(repo.diff_uncommitted("main")) == []
