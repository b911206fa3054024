"""Contract: objects (put, stat, read, delete, list) and staging visibility."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from contract_support import changes, commit_files, contents, paths

from lakeline.errors import InvalidPathError, NoChangesError, NotFoundError
from lakeline.store import CommonPrefix, ObjectStats, Repository, Upload


def test_put_from_bytes_stream_and_path_reads_back_the_same_bytes(repo: Repository, tmp_path: Path) -> None:
    source = tmp_path / "file.bin"
    source.write_bytes(b"from a file" * 1000)
    repo.put_object("main", "bytes.bin", b"from bytes")
    repo.put_object("main", "stream.bin", io.BytesIO(b"from a stream"))
    repo.put_object("main", "path.bin", source)
    assert repo.get_object("main", "bytes.bin") == b"from bytes"
    assert repo.get_object("main", "stream.bin") == b"from a stream"
    assert repo.get_object("main", "path.bin") == b"from a file" * 1000
    with repo.open_object("main", "path.bin") as stream:
        assert stream.read() == b"from a file" * 1000


def test_put_returns_stats_and_stat_agrees(repo: Repository) -> None:
    stats = repo.put_object(
        "main", "data/x.csv", b"a,b\n1,2\n", metadata={"owner": "alice"}, content_type="text/csv"
    )
    assert stats.path == "data/x.csv"
    assert stats.size_bytes == 8
    assert stats.content_type == "text/csv"
    assert dict(stats.metadata) == {"owner": "alice"}
    assert stats.checksum
    again = repo.stat_object("main", "data/x.csv")
    assert (again.checksum, again.size_bytes, again.content_type, dict(again.metadata)) == (
        stats.checksum,
        8,
        "text/csv",
        {"owner": "alice"},
    )
    repo.commit("main", "add")
    committed = repo.stat_object("main@", "data/x.csv")
    assert committed.checksum == stats.checksum and dict(committed.metadata) == {"owner": "alice"}


def test_default_content_type_is_octet_stream(repo: Repository) -> None:
    assert repo.put_object("main", "a", b"a").content_type == "application/octet-stream"


def test_equal_bytes_have_equal_checksums_and_different_bytes_differ(repo: Repository) -> None:
    a = repo.put_object("main", "a", b"same")
    b = repo.put_object("main", "b", b"same")
    c = repo.put_object("main", "c", b"other")
    assert a.checksum == b.checksum != c.checksum


def test_download_writes_the_object_to_a_file(repo: Repository, tmp_path: Path) -> None:
    repo.put_object("main", "model.pkl", b"weights" * 100)
    dest = tmp_path / "out" / "model.pkl"
    stats = repo.download_object("main", "model.pkl", dest)
    assert dest.read_bytes() == b"weights" * 100
    assert stats.size_bytes == 700
    assert [p.name for p in dest.parent.iterdir()] == ["model.pkl"]


def test_branch_reads_include_staging_and_branch_at_reads_committed_only(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"committed", "b": b"to delete"})
    repo.put_object("main", "a", b"staged")
    repo.put_object("main", "c", b"new")
    repo.delete_object("main", "b")
    assert contents(repo, "main") == {"a": b"staged", "c": b"new"}
    assert contents(repo, "main@") == {"a": b"committed", "b": b"to delete"}
    assert repo.get_object("main@", "a") == b"committed"
    with pytest.raises(NotFoundError):
        repo.stat_object("main", "b")
    with pytest.raises(NotFoundError):
        repo.stat_object("main@", "c")


def test_staged_changes_are_invisible_on_other_refs(repo: Repository) -> None:
    first = commit_files(repo, "main", {"a": b"1"})
    repo.create_branch("dev", "main")
    repo.put_object("main", "a", b"2")
    assert repo.get_object("dev", "a") == b"1"
    assert repo.get_object(first.id, "a") == b"1"


def test_reupload_of_identical_object_is_not_a_change(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"same"})
    repo.put_object("main", "a", b"same")
    assert list(repo.diff_uncommitted("main")) == []
    with pytest.raises(NoChangesError):
        repo.commit("main", "nothing")


def test_reupload_with_new_metadata_or_content_type_is_a_change(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"same", "b": b"same"})
    repo.put_object("main", "a", b"same", metadata={"k": "v"})
    repo.put_object("main", "b", b"same", content_type="text/plain")
    assert changes(repo.diff_uncommitted("main")) == [("changed", "a"), ("changed", "b")]


def test_delete_of_committed_object_is_staged_until_commit(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"a"})
    repo.delete_object("main", "a")
    assert changes(repo.diff_uncommitted("main")) == [("removed", "a")]
    repo.commit("main", "delete a")
    assert contents(repo, "main") == {}
    assert repo.get_object("main~1", "a") == b"a"


def test_delete_of_staged_only_object_leaves_nothing_to_commit(repo: Repository) -> None:
    repo.put_object("main", "tmp", b"t")
    repo.delete_object("main", "tmp")
    assert list(repo.diff_uncommitted("main")) == []
    with pytest.raises(NoChangesError):
        repo.commit("main", "nothing")


def test_delete_of_missing_object_is_not_found(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        repo.delete_object("main", "never-there")
    commit_files(repo, "main", {"a": b"a"})
    repo.delete_object("main", "a")
    with pytest.raises(NotFoundError):
        repo.delete_object("main", "a")


def test_delete_objects_removes_each_existing_path(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"a", "b": b"b", "c": b"c"})
    repo.delete_objects("main", ["a", "c"])
    assert contents(repo, "main") == {"b": b"b"}


def test_reading_a_missing_object_is_not_found(repo: Repository, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        repo.get_object("main", "nope")
    with pytest.raises(NotFoundError):
        repo.stat_object("main", "nope")
    with pytest.raises(NotFoundError):
        repo.open_object("main", "nope")
    with pytest.raises(NotFoundError):
        repo.download_object("main", "nope", tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("path", ["", "/abs", "a//b", "a/../b", "./a", "a/", "x" * 1025])
def test_invalid_object_path_is_rejected(repo: Repository, path: str) -> None:
    with pytest.raises(InvalidPathError):
        repo.put_object("main", path, b"x")


def test_put_objects_stages_every_file_and_returns_stats_in_input_order(
    repo: Repository, tmp_path: Path
) -> None:
    uploads = []
    for i in reversed(range(30)):
        source = tmp_path / f"f{i}.txt"
        source.write_bytes(f"file {i}".encode())
        uploads.append(Upload(f"data/f{i:02d}.txt", source, metadata={"i": str(i)}))
    stats = repo.put_objects("main", uploads, workers=4)
    assert [s.path for s in stats] == [u.path for u in uploads]
    assert all(s.size_bytes == len(f"file {i}") for s, i in zip(stats, reversed(range(30)), strict=True))
    repo.commit("main", "batch")
    assert repo.get_object("main", "data/f07.txt") == b"file 7"
    assert dict(repo.stat_object("main", "data/f07.txt").metadata) == {"i": "7"}
    assert len(contents(repo, "main")) == 30


def _tree(repo: Repository) -> None:
    for path in ["a.txt", "data/x/1", "data/x/2", "data/y", "data/z/3", "models/m.pkl", "zz"]:
        repo.put_object("main", path, path.encode())


def test_list_objects_is_lexicographic_with_prefix(repo: Repository) -> None:
    _tree(repo)
    repo.commit("main", "tree")
    expected = ["a.txt", "data/x/1", "data/x/2", "data/y", "data/z/3", "models/m.pkl", "zz"]
    assert paths(repo.list_objects("main")) == expected
    assert paths(repo.list_objects("main", prefix="data/")) == ["data/x/1", "data/x/2", "data/y", "data/z/3"]
    assert paths(repo.list_objects("main", prefix="data/x")) == ["data/x/1", "data/x/2"]
    assert paths(repo.list_objects("main", prefix="nothing/")) == []


def test_list_objects_with_delimiter_gives_common_prefixes(repo: Repository) -> None:
    _tree(repo)
    repo.commit("main", "tree")
    top = list(repo.list_objects("main", delimiter="/"))
    assert top == [
        repo.stat_object("main", "a.txt"),
        CommonPrefix("data/"),
        CommonPrefix("models/"),
        repo.stat_object("main", "zz"),
    ]
    inner = list(repo.list_objects("main", prefix="data/", delimiter="/"))
    assert [(type(i).__name__, i.path) for i in inner] == [
        ("CommonPrefix", "data/x/"),
        ("ObjectStats", "data/y"),
        ("CommonPrefix", "data/z/"),
    ]


def test_list_objects_after_is_exclusive_and_amount_caps(repo: Repository) -> None:
    _tree(repo)
    assert paths(repo.list_objects("main", after="data/x/2")) == ["data/y", "data/z/3", "models/m.pkl", "zz"]
    assert paths(repo.list_objects("main", after="data/x/2", amount=2)) == ["data/y", "data/z/3"]
    assert paths(repo.list_objects("main", delimiter="/", after="data/")) == ["models/", "zz"]
    assert paths(repo.list_objects("main", amount=0)) == []


def test_list_objects_pages_through_more_than_a_thousand_objects(repo: Repository, tmp_path: Path) -> None:
    uploads = []
    for i in range(1203):
        source = tmp_path / f"{i}"
        source.write_bytes(str(i % 7).encode())
        uploads.append(Upload(f"many/{i:05d}", source))
    repo.put_objects("main", uploads)
    staged = paths(repo.list_objects("main", prefix="many/"))
    assert staged == [u.path for u in uploads]
    repo.commit("main", "many")
    assert paths(repo.list_objects("main", prefix="many/", after="many/00999", amount=5)) == [
        f"many/{i:05d}" for i in range(1000, 1005)
    ]
    assert len(list(repo.list_objects("main@"))) == 1203


def test_list_objects_merges_staging_over_committed_state(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1", "c": b"3", "e": b"5"})
    repo.put_object("main", "b", b"2")
    repo.put_object("main", "c", b"33")
    repo.delete_object("main", "e")
    listed = list(repo.list_objects("main"))
    assert paths(listed) == ["a", "b", "c"]
    c_stats = listed[2]
    assert isinstance(c_stats, ObjectStats) and c_stats.size_bytes == 2


def test_delete_objects_skips_paths_that_do_not_exist(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"a", "b": b"b"})
    repo.delete_objects("main", ["a", "never-there"])
    assert contents(repo, "main") == {"b": b"b"}
