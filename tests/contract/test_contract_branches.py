"""Contract: branches (create, get, list, delete, reset) and their name rules."""

from __future__ import annotations

import pytest
from contract_support import changes, commit_files, contents

from lakeline.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidNameError,
    NotFoundError,
    PermissionDeniedError,
)
from lakeline.store import Repository


def test_branch_points_at_source_commit_and_copies_no_staging(repo: Repository) -> None:
    first = commit_files(repo, "main", {"a.txt": b"a"})
    repo.put_object("main", "staged.txt", b"not committed")
    branch = repo.create_branch("dev", "main")
    assert branch.name == "dev"
    assert branch.commit_id == first.id
    assert repo.get_branch("dev").commit_id == first.id
    assert contents(repo, "dev") == {"a.txt": b"a"}
    assert list(repo.diff_uncommitted("dev")) == []


def test_branch_from_tag_and_commit_and_ancestor_refs(repo: Repository) -> None:
    first = commit_files(repo, "main", {"a": b"1"})
    second = commit_files(repo, "main", {"a": b"2"})
    repo.create_tag("v1", first.id)
    assert repo.create_branch("from-tag", "v1").commit_id == first.id
    assert repo.create_branch("from-id", second.id).commit_id == second.id
    assert repo.create_branch("from-parent", "main~1").commit_id == first.id


def test_branches_are_independent(repo: Repository) -> None:
    commit_files(repo, "main", {"shared": b"s"})
    repo.create_branch("dev", "main")
    commit_files(repo, "dev", {"dev-only": b"d"})
    assert contents(repo, "main") == {"shared": b"s"}
    assert contents(repo, "dev") == {"shared": b"s", "dev-only": b"d"}


def test_creating_an_existing_branch_is_already_exists(repo: Repository) -> None:
    repo.create_branch("dev", "main")
    with pytest.raises(AlreadyExistsError):
        repo.create_branch("dev", "main")


def test_branch_name_may_not_equal_an_existing_tag(repo: Repository) -> None:
    repo.create_tag("release", "main")
    with pytest.raises((AlreadyExistsError, ConflictError)):
        repo.create_branch("release", "main")


@pytest.mark.parametrize("name", ["", "a/b", "a.b", "-lead", "with space", "dev\n"])
def test_invalid_branch_name_is_rejected(repo: Repository, name: str) -> None:
    with pytest.raises(InvalidNameError):
        repo.create_branch(name, "main")


def test_branch_from_unknown_ref_is_not_found(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        repo.create_branch("dev", "nowhere")


def test_unknown_branch_is_not_found(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        repo.get_branch("nope")
    with pytest.raises(NotFoundError):
        repo.delete_branch("nope")
    with pytest.raises(NotFoundError):
        repo.put_object("nope", "a", b"a")
    with pytest.raises(NotFoundError):
        repo.commit("nope", "m")


def test_deleting_the_default_branch_is_permission_denied(repo: Repository) -> None:
    with pytest.raises(PermissionDeniedError):
        repo.delete_branch("main")
    assert repo.get_branch("main")


def test_deleted_branch_is_gone_and_its_commits_stay(repo: Repository) -> None:
    repo.create_branch("dev", "main")
    commit = commit_files(repo, "dev", {"a": b"a"})
    repo.delete_branch("dev")
    with pytest.raises(NotFoundError):
        repo.get_branch("dev")
    assert "dev" not in [b.name for b in repo.list_branches()]
    assert repo.get_object(commit.id, "a") == b"a"


def test_list_branches_sorted_with_prefix_after_and_amount(repo: Repository) -> None:
    for name in ["exp-b", "exp-a", "dev", "exp-c", "zeta"]:
        repo.create_branch(name, "main")
    assert [b.name for b in repo.list_branches()] == ["dev", "exp-a", "exp-b", "exp-c", "main", "zeta"]
    assert [b.name for b in repo.list_branches(prefix="exp-")] == ["exp-a", "exp-b", "exp-c"]
    assert [b.name for b in repo.list_branches(after="exp-b")] == ["exp-c", "main", "zeta"]
    assert [b.name for b in repo.list_branches(prefix="exp-", after="exp-a", amount=1)] == ["exp-b"]
    head = repo.get_branch("main").commit_id
    assert {b.commit_id for b in repo.list_branches()} == {head}


def test_list_branches_pages_past_one_thousand(repo: Repository) -> None:
    names = [f"b{i:04d}" for i in range(1005)]
    for name in names:
        repo.create_branch(name, "main")
    listed = [b.name for b in repo.list_branches(prefix="b")]
    assert listed == names


def test_reset_discards_all_uncommitted_changes(repo: Repository) -> None:
    commit_files(repo, "main", {"keep": b"k", "gone": b"g"})
    repo.put_object("main", "new", b"n")
    repo.put_object("main", "keep", b"changed")
    repo.delete_object("main", "gone")
    repo.reset_branch("main")
    assert list(repo.diff_uncommitted("main")) == []
    assert contents(repo, "main") == {"keep": b"k", "gone": b"g"}


def test_reset_of_one_path_keeps_the_other_changes(repo: Repository) -> None:
    repo.put_object("main", "a", b"a")
    repo.put_object("main", "b", b"b")
    repo.reset_branch("main", "a")
    assert changes(repo.diff_uncommitted("main")) == [("added", "b")]


def test_reset_of_unknown_branch_is_not_found(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        repo.reset_branch("nope")
