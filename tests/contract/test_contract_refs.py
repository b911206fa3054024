"""Contract: ref expressions (ids, prefixes, branches, tags, ~N, ^N, @)."""

from __future__ import annotations

import pytest
from contract_support import commit_files

from lakeline.errors import InvalidRefError, NotFoundError
from lakeline.store import Commit, Repository


def _history(repo: Repository) -> tuple[Commit, Commit, Commit, Commit, Commit]:
    """main: root - c1 - c2 - merge(c2, d1); dev: c1 - d1."""
    root = repo.get_commit("main")
    c1 = commit_files(repo, "main", {"a": b"1"}, "c1")
    repo.create_branch("dev", "main")
    d1 = commit_files(repo, "dev", {"d": b"1"}, "d1")
    c2 = commit_files(repo, "main", {"a": b"2"}, "c2")
    merge = repo.merge("dev", "main")
    return root, c1, c2, d1, merge


def test_full_id_branch_tag_and_unique_prefix_resolve(repo: Repository) -> None:
    _, c1, _, _, merge = _history(repo)
    repo.create_tag("t1", c1.id)
    assert repo.get_commit(c1.id) == c1
    assert repo.get_commit("main").id == merge.id
    assert repo.get_commit("t1").id == c1.id
    assert repo.get_commit(c1.id[:12]).id == c1.id


def test_tilde_follows_first_parents_and_caret_picks_a_parent(repo: Repository) -> None:
    root, c1, c2, d1, merge = _history(repo)
    assert repo.get_commit("main~").id == c2.id
    assert repo.get_commit("main~1").id == c2.id
    assert repo.get_commit("main~2").id == c1.id
    assert repo.get_commit("main~3").id == root.id
    assert repo.get_commit("main^").id == c2.id
    assert repo.get_commit("main^1").id == c2.id
    assert repo.get_commit("main^2").id == d1.id
    assert repo.get_commit("main^0").id == merge.id
    assert repo.get_commit("main^2~1").id == c1.id
    assert repo.get_commit("main~1^1").id == c1.id
    assert repo.get_commit("main^^^").id == root.id
    assert repo.get_commit(f"{merge.id}~2").id == c1.id


def test_modifiers_past_the_history_are_not_found(repo: Repository) -> None:
    _history(repo)
    with pytest.raises(NotFoundError):
        repo.get_commit("main~4")
    with pytest.raises(NotFoundError):
        repo.get_commit("main^3")
    with pytest.raises(NotFoundError):
        repo.get_commit("main~1^2")


def test_at_suffix_reads_the_committed_state_of_a_branch(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"committed"})
    repo.put_object("main", "a", b"staged")
    assert repo.get_object("main@", "a") == b"committed"
    assert repo.get_object("main", "a") == b"staged"
    assert repo.get_commit("main@").id == repo.get_branch("main").commit_id


def test_ancestor_refs_read_committed_state(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1"})
    commit_files(repo, "main", {"a": b"2"})
    repo.put_object("main", "a", b"staged")
    assert repo.get_object("main~1", "a") == b"1"
    assert repo.get_object("main~0", "a") == b"2"


def test_unknown_ref_is_not_found(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        repo.get_commit("nope")
    with pytest.raises(NotFoundError):
        repo.get_commit("f" * 64)
    with pytest.raises(NotFoundError):
        repo.get_object("nope", "a")
    with pytest.raises(NotFoundError):
        list(repo.list_objects("nope~1"))


@pytest.mark.parametrize("ref", ["", "main~x", "main^-1", "main~1~a", "ma in", "main@@", "~1", "^"])
def test_malformed_ref_is_invalid(repo: Repository, ref: str) -> None:
    with pytest.raises(InvalidRefError):
        repo.get_commit(ref)
