"""Contract: revert commits the inverse of a commit's change."""

from __future__ import annotations

import pytest
from contract_support import commit_files, contents

from lakeline.errors import (
    DirtyBranchError,
    InvalidInputError,
    MergeConflictError,
    NoChangesError,
    NotFoundError,
)
from lakeline.store import Repository


def test_revert_undoes_one_commit_and_keeps_later_ones(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1", "b": b"1"}, "base")
    bad = commit_files(repo, "main", {"a": b"bad", "b": None, "n": b"new"}, "bad")
    later = commit_files(repo, "main", {"z": b"z"}, "later")
    revert = repo.revert("main", bad.id)
    assert revert.parents == (later.id,)
    assert revert.message == f"Revert {bad.id}"
    assert repo.get_branch("main").commit_id == revert.id
    assert contents(repo, "main") == {"a": b"1", "b": b"1", "z": b"z"}


def test_revert_with_message_and_ref_expression(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1"}, "one")
    commit_files(repo, "main", {"a": b"2"}, "two")
    revert = repo.revert("main", "main", message="undo two", metadata={"why": "broken"})
    assert revert.message == "undo two"
    assert dict(revert.metadata) == {"why": "broken"}
    assert repo.get_object("main", "a") == b"1"


def test_revert_of_a_merge_needs_a_parent_number(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1"}, "base")
    repo.create_branch("dev", "main")
    commit_files(repo, "dev", {"d": b"dev"}, "dev")
    commit_files(repo, "main", {"m": b"main"}, "main")
    merge = repo.merge("dev", "main")
    with pytest.raises(InvalidInputError):
        repo.revert("main", merge.id)
    with pytest.raises(InvalidInputError):
        repo.revert("main", merge.id, parent_number=3)
    repo.revert("main", merge.id, parent_number=1)
    assert contents(repo, "main") == {"a": b"1", "m": b"main"}


def test_revert_on_a_dirty_branch_is_refused(repo: Repository) -> None:
    commit = commit_files(repo, "main", {"a": b"1"})
    repo.put_object("main", "wip", b"w")
    with pytest.raises(DirtyBranchError):
        repo.revert("main", commit.id)
    assert repo.get_branch("main").commit_id == commit.id


def test_revert_conflicting_with_later_change_names_paths_and_changes_nothing(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1"}, "base")
    bad = commit_files(repo, "main", {"a": b"2"}, "bad")
    later = commit_files(repo, "main", {"a": b"3"}, "later")
    with pytest.raises(MergeConflictError) as caught:
        repo.revert("main", bad.id)
    assert caught.value.paths == ("a",)
    assert repo.get_branch("main").commit_id == later.id


def test_revert_of_unknown_ref_is_not_found(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        repo.revert("main", "nope")
    with pytest.raises(NotFoundError):
        repo.revert("nope", "main")


def test_revert_of_a_commit_already_undone_is_no_changes(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1"}, "one")
    bad = commit_files(repo, "main", {"a": b"2"}, "bad")
    commit_files(repo, "main", {"a": b"1"}, "manual undo")
    with pytest.raises(NoChangesError):
        repo.revert("main", bad.id)
