"""Contract: commits, diff_uncommitted and the log."""

from __future__ import annotations

import pytest
from contract_support import changes, commit_files

from lakeline.errors import InvalidInputError, NoChangesError, NotFoundError
from lakeline.store import Repository


def test_commit_moves_the_branch_and_records_who_what_and_parents(repo: Repository) -> None:
    root = repo.get_commit("main")
    repo.put_object("main", "a", b"a")
    commit = repo.commit("main", "add a", metadata={"run": "42", "lakeline.kind": "pipeline"})
    assert repo.get_branch("main").commit_id == commit.id
    assert commit.parents == (root.id,)
    assert commit.message == "add a"
    assert dict(commit.metadata) == {"run": "42", "lakeline.kind": "pipeline"}
    assert commit.committer
    assert commit.creation_date >= root.creation_date
    assert commit.generation == root.generation + 1
    assert len(commit.id) == 64 and commit.id != root.id
    assert commit.meta_range_id != root.meta_range_id
    assert repo.get_commit(commit.id) == commit
    assert list(repo.diff_uncommitted("main")) == []


def test_commit_with_nothing_staged_is_no_changes(repo: Repository) -> None:
    with pytest.raises(NoChangesError):
        repo.commit("main", "empty")


def test_allow_empty_commits_nothing(repo: Repository) -> None:
    root = repo.get_commit("main")
    commit = repo.commit("main", "marker", allow_empty=True)
    assert commit.parents == (root.id,)
    assert commit.meta_range_id == root.meta_range_id


def test_commit_metadata_values_must_be_strings(repo: Repository) -> None:
    repo.put_object("main", "a", b"a")
    with pytest.raises(InvalidInputError):
        repo.commit("main", "bad", metadata={"n": 1})  # type: ignore[dict-item]
    assert changes(repo.diff_uncommitted("main")) == [("added", "a")]


def test_diff_uncommitted_lists_added_changed_removed_sorted(repo: Repository) -> None:
    commit_files(repo, "main", {"b": b"b", "c": b"c", "sub/d": b"d"})
    repo.put_object("main", "c", b"c2")
    repo.put_object("main", "a", b"a")
    repo.delete_object("main", "b")
    repo.put_object("main", "sub/e", b"e")
    assert changes(repo.diff_uncommitted("main")) == [
        ("added", "a"),
        ("removed", "b"),
        ("changed", "c"),
        ("added", "sub/e"),
    ]
    assert changes(repo.diff_uncommitted("main", prefix="sub/")) == [("added", "sub/e")]
    sizes = {c.path: c.size_bytes for c in repo.diff_uncommitted("main")}
    assert sizes["c"] == 2 and sizes["b"] == 1


def test_commit_keeps_committed_objects_untouched_by_staging(repo: Repository) -> None:
    commit_files(repo, "main", {"keep": b"k", "change": b"1"})
    commit_files(repo, "main", {"change": b"2", "new": b"n"})
    assert repo.get_object("main", "keep") == b"k"
    assert repo.get_object("main", "change") == b"2"
    assert repo.get_object("main~1", "change") == b"1"
    with pytest.raises(NotFoundError):
        repo.get_object("main~1", "new")


def test_log_is_newest_first_and_includes_merged_history(repo: Repository) -> None:
    root = repo.get_commit("main")
    c1 = commit_files(repo, "main", {"a": b"1"}, "c1")
    repo.create_branch("dev", "main")
    d1 = commit_files(repo, "dev", {"d": b"1"}, "d1")
    d2 = commit_files(repo, "dev", {"d": b"2"}, "d2")
    c2 = commit_files(repo, "main", {"a": b"2"}, "c2")
    merge = repo.merge("dev", "main")
    ids = [c.id for c in repo.log("main")]
    assert ids[0] == merge.id
    assert set(ids) == {merge.id, c2.id, d2.id, d1.id, c1.id, root.id}
    assert ids.index(d2.id) < ids.index(d1.id) < ids.index(c1.id) < ids.index(root.id)
    assert ids.index(c2.id) < ids.index(c1.id)
    assert ids[-1] == root.id
    generations = [c.generation for c in repo.log("main")]
    assert generations == sorted(generations, reverse=True)


def test_log_first_parent_follows_the_mainline(repo: Repository) -> None:
    root = repo.get_commit("main")
    c1 = commit_files(repo, "main", {"a": b"1"}, "c1")
    repo.create_branch("dev", "main")
    commit_files(repo, "dev", {"d": b"1"}, "d1")
    merge = repo.merge("dev", "main")
    assert [c.id for c in repo.log("main", first_parent=True)] == [merge.id, c1.id, root.id]


def test_log_after_and_amount_page_through_history(repo: Repository) -> None:
    commits = [commit_files(repo, "main", {"a": str(i).encode()}, f"c{i}") for i in range(5)]
    newest_first = [c.id for c in reversed(commits)]
    assert [c.id for c in repo.log("main", amount=2)] == newest_first[:2]
    assert [c.id for c in repo.log("main", after=newest_first[1], amount=2)] == newest_first[2:4]
    assert [c.message for c in repo.log("main~3")][:2] == ["c1", "c0"]


def test_log_with_prefixes_keeps_commits_that_touch_them(repo: Repository) -> None:
    m1 = commit_files(repo, "main", {"models/m.pkl": b"1"}, "model 1")
    commit_files(repo, "main", {"data/d.csv": b"1"}, "data 1")
    m2 = commit_files(repo, "main", {"models/m.pkl": b"2", "data/d.csv": b"2"}, "both")
    commit_files(repo, "main", {"other": b"o"}, "other")
    assert [c.id for c in repo.log("main", prefixes=["models/"])] == [m2.id, m1.id]
    assert [c.message for c in repo.log("main", prefixes=["data/", "models/"])] == [
        "both",
        "data 1",
        "model 1",
    ]
    repo.delete_object("main", "models/m.pkl")
    deleted = repo.commit("main", "drop model")
    assert [c.id for c in repo.log("main", prefixes=["models/m.pkl"], amount=1)] == [deleted.id]
