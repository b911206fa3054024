"""Embedded-store specifics of refs and branches: ambiguous prefixes, zero-copy branches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lakeline.errors import InvalidRefError
from lakeline.store.local import LocalRepository, LocalStore


def test_ambiguous_commit_prefix_is_an_invalid_ref_naming_the_prefix(repo: LocalRepository) -> None:
    seen: dict[str, str] = {}
    for i in range(5000):
        commit = repo.commit("main", f"empty {i}", allow_empty=True)
        prefix = commit.id[:4]
        if prefix in seen:
            break
        seen[prefix] = commit.id
    else:
        pytest.fail("no two commits shared a 4-character prefix")
    with pytest.raises(InvalidRefError, match=prefix):
        repo.get_commit(prefix)
    assert repo.get_commit(commit.id[:12]).id == commit.id


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and "metadata.sqlite" not in p.name}


def test_branch_creation_writes_one_row_and_no_files(store: LocalStore, repo: LocalRepository) -> None:
    for i in range(200):
        repo.put_object("main", f"data/{i:04d}", str(i).encode())
    repo.commit("main", "data")
    before = _files(store.root)
    repo.create_branch("zero-copy", "main")
    assert _files(store.root) == before
    with sqlite3.connect(store.root / "metadata.sqlite") as db:
        assert db.execute("SELECT count(*) FROM branches WHERE repo=?", (repo.name,)).fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM staging").fetchone() == (0,)


def test_store_keeps_everything_across_reopen(store: LocalStore, repo: LocalRepository) -> None:
    repo.put_object("main", "a", b"committed")
    commit = repo.commit("main", "c", metadata={"k": "v"})
    repo.create_tag("t", "main")
    repo.put_object("main", "b", b"staged")
    store.close()
    with LocalStore(store.root) as again:
        reopened = again.repository(repo.name)
        assert reopened.get_commit("t") == commit
        assert reopened.get_object("main", "a") == b"committed"
        assert reopened.get_object("main", "b") == b"staged"
        assert [c.path for c in reopened.diff_uncommitted("main")] == ["b"]
