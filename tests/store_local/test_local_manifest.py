"""Manifests: range sharing between commits, bounded rewrites, DuckDB-readable Parquet."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeline.store.local import LocalRepository, LocalStore
from lakeline.store.local.manifest import Columns, Entry, ManifestStore, Metarange
from lakeline.store.local.merge import diff_trees


def _entry(path: str, content: str = "x") -> Entry:
    return Entry(path, f"sum-{content}", len(content), 0, "application/octet-stream", "{}")


def _big_tree(manifests: ManifestStore, n: int) -> Metarange:
    changes = [(f"data/{i:06d}", _entry(f"data/{i:06d}")) for i in range(n)]
    return manifests.apply(manifests.empty, changes)


@pytest.fixture
def manifests(tmp_path: Path) -> ManifestStore:
    return ManifestStore(tmp_path / "m", range_bits=5)


def test_big_tree_is_cut_into_many_bounded_ranges(manifests: ManifestStore) -> None:
    tree = _big_tree(manifests, 2_000)
    assert tree.count == 2_000
    assert 25 < len(tree.ranges) < 200  # ~32 entries per range on average
    assert max(r.count for r in tree.ranges) <= manifests.max_range_entries
    keys = [e.path for e in manifests.iter_entries(tree)]
    assert keys == sorted(keys) and len(keys) == 2_000
    assert all(a.max_key < b.min_key for a, b in zip(tree.ranges, tree.ranges[1:], strict=False))


@pytest.mark.parametrize("kind", ["change", "add", "delete"])
def test_one_object_change_reuses_all_but_a_few_ranges(manifests: ManifestStore, kind: str) -> None:
    tree = _big_tree(manifests, 2_000)
    path = "data/001000"
    change = {"change": _entry(path, "new"), "add": _entry("data/001000a"), "delete": None}[kind]
    key = "data/001000a" if kind == "add" else path
    after = manifests.apply(tree, [(key, change)])
    old_ids = {r.id for r in tree.ranges}
    new_ranges = [r for r in after.ranges if r.id not in old_ids]
    assert 1 <= len(new_ranges) <= 3
    assert len(after.ranges) - len(new_ranges) >= len(tree.ranges) - 4
    assert [(c.path, c.right) for c in diff_trees(manifests, tree, after)] == [(key, change)]


def test_applying_no_effective_change_keeps_the_same_metarange(manifests: ManifestStore) -> None:
    tree = _big_tree(manifests, 2_000)
    assert manifests.apply(tree, []).id == tree.id
    same = manifests.apply(tree, [("data/000010", _entry("data/000010"))])
    assert same.id == tree.id


def test_diff_reads_only_the_ranges_that_differ(
    manifests: ManifestStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _big_tree(manifests, 2_000)
    after = manifests.apply(tree, [("data/000005", _entry("data/000005", "v2")), ("data/001990", None)])
    reads: list[str] = []
    original = manifests.read_range

    def counting_read(range_id: str) -> Columns:
        reads.append(range_id)
        return original(range_id)

    monkeypatch.setattr(manifests, "read_range", counting_read)
    changes = list(diff_trees(manifests, tree, after))
    assert [c.path for c in changes] == ["data/000005", "data/001990"]
    assert len(reads) <= 8


def test_commit_on_a_big_branch_writes_few_new_range_files(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s", committer="t", range_bits=3) as store:
        repo = store.create_repository("big-one")
        files = tmp_path / "files"
        files.mkdir()
        from lakeline.store import Upload

        uploads = []
        for i in range(600):
            source = files / str(i)
            source.write_bytes(str(i % 10).encode())
            uploads.append(Upload(f"f/{i:05d}", source))
        repo.put_objects("main", uploads)
        repo.commit("main", "bulk")
        ranges_dir = store.root / "ranges"
        before = {p.name for p in ranges_dir.rglob("*.parquet")}
        repo.put_object("main", "f/00300", b"changed")
        repo.commit("main", "one change")
        new = {p.name for p in ranges_dir.rglob("*.parquet")} - before
        assert 1 <= len(new) <= 3


def test_manifests_are_queryable_with_duckdb(store: LocalStore, repo: LocalRepository) -> None:
    import duckdb

    for i in range(50):
        repo.put_object("main", f"d/{i:03d}", str(i).encode(), metadata={"i": str(i)})
    commit = repo.commit("main", "fifty")
    metarange_file = store.manifests.metarange_path(commit.meta_range_id)
    con = duckdb.connect()
    range_ids = [
        r[0] for r in con.execute(f"select range_id from read_parquet('{metarange_file}')").fetchall()
    ]
    files = [str(store.manifests.range_path(r)) for r in range_ids]
    rows = con.execute(
        "select path, size, json_extract_string(metadata, '$.i') from read_parquet(?) order by path", [files]
    ).fetchall()
    assert len(rows) == 50
    assert rows[7] == ("d/007", 1, "7")
