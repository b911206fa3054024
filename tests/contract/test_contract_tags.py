"""Contract: tags are immutable names for commits."""

from __future__ import annotations

import pytest
from contract_support import commit_files

from lakeline.errors import AlreadyExistsError, ConflictError, InvalidNameError, NotFoundError
from lakeline.store import Repository


def test_tag_points_at_the_commit_its_ref_resolves_to(repo: Repository) -> None:
    first = commit_files(repo, "main", {"a": b"1"})
    commit_files(repo, "main", {"a": b"2"})
    tag = repo.create_tag("v1.0.0", "main~1")
    assert tag.name == "v1.0.0" and tag.commit_id == first.id
    assert repo.get_tag("v1.0.0") == tag
    assert repo.get_commit("v1.0.0").id == first.id
    assert repo.get_object("v1.0.0", "a") == b"1"


def test_tag_does_not_move_with_its_branch(repo: Repository) -> None:
    first = commit_files(repo, "main", {"a": b"1"})
    repo.create_tag("stable", "main")
    commit_files(repo, "main", {"a": b"2"})
    assert repo.get_tag("stable").commit_id == first.id


def test_creating_an_existing_tag_is_already_exists(repo: Repository) -> None:
    repo.create_tag("v1", "main")
    commit_files(repo, "main", {"a": b"1"})
    with pytest.raises(AlreadyExistsError):
        repo.create_tag("v1", "main")
    assert repo.get_tag("v1").commit_id == repo.get_commit("main~1").id


def test_tag_name_may_not_equal_a_branch(repo: Repository) -> None:
    repo.create_branch("dev", "main")
    with pytest.raises((AlreadyExistsError, ConflictError)):
        repo.create_tag("dev", "main")


@pytest.mark.parametrize(
    "name", ["", "@", "a/b", "a..b", "a b", "x^1", "x~", "a:b", "end.", "x.lock", "a@{b"]
)
def test_invalid_tag_name_is_rejected(repo: Repository, name: str) -> None:
    with pytest.raises(InvalidNameError):
        repo.create_tag(name, "main")


def test_unknown_tag_is_not_found(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        repo.get_tag("nope")
    with pytest.raises(NotFoundError):
        repo.delete_tag("nope")
    with pytest.raises(NotFoundError):
        repo.create_tag("t", "no-such-ref")


def test_deleted_tag_is_gone_and_the_name_is_free_again(repo: Repository) -> None:
    repo.create_tag("v1", "main")
    repo.delete_tag("v1")
    with pytest.raises(NotFoundError):
        repo.get_tag("v1")
    commit = commit_files(repo, "main", {"a": b"1"})
    assert repo.create_tag("v1", "main").commit_id == commit.id


def test_list_tags_sorted_with_prefix_after_and_amount(repo: Repository) -> None:
    for name in ["v2", "v1", "model-v1.0.0", "v3"]:
        repo.create_tag(name, "main")
    assert [t.name for t in repo.list_tags()] == ["model-v1.0.0", "v1", "v2", "v3"]
    assert [t.name for t in repo.list_tags(prefix="v")] == ["v1", "v2", "v3"]
    assert [t.name for t in repo.list_tags(after="v1")] == ["v2", "v3"]
    assert [t.name for t in repo.list_tags(prefix="v", amount=2)] == ["v1", "v2"]
