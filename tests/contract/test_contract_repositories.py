"""Contract: repositories (create, get, list, delete) and the first commit."""

from __future__ import annotations

import pytest
from contract_support import contents

from lakeline.errors import AlreadyExistsError, InvalidNameError, NotFoundError
from lakeline.store import Repository, Store


def test_new_repository_has_repository_created_commit_on_main(repo: Repository) -> None:
    info = repo.info()
    assert info.name == repo.name
    assert info.default_branch == "main"
    head = repo.get_commit("main")
    assert head.message == "Repository created"
    assert head.parents == ()
    assert len(head.id) == 64 and all(c in "0123456789abcdef" for c in head.id)
    assert repo.get_branch("main").commit_id == head.id
    assert contents(repo, "main") == {}
    assert [c.id for c in repo.log("main")] == [head.id]


def test_repository_with_another_default_branch(store: Store, repo_name: str) -> None:
    repo = store.create_repository(repo_name, default_branch="trunk")
    try:
        assert repo.info().default_branch == "trunk"
        assert repo.get_commit("trunk").message == "Repository created"
        with pytest.raises(NotFoundError):
            repo.get_branch("main")
    finally:
        store.delete_repository(repo_name)


def test_repository_is_found_and_listed_by_name(store: Store, repo: Repository) -> None:
    again = store.repository(repo.name)
    assert again.get_branch("main") == repo.get_branch("main")
    assert repo.name in [info.name for info in store.list_repositories()]


def test_creating_an_existing_repository_is_already_exists(store: Store, repo: Repository) -> None:
    with pytest.raises(AlreadyExistsError):
        store.create_repository(repo.name)


@pytest.mark.parametrize("name", ["ab", "Upper", "-dash", "under_score", "a" * 64, "dot.ted", "abc\n"])
def test_invalid_repository_name_is_rejected(store: Store, name: str) -> None:
    with pytest.raises(InvalidNameError):
        store.create_repository(name)


def test_unknown_repository_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.repository("no-such-repository-here")
    with pytest.raises(NotFoundError):
        store.delete_repository("no-such-repository-here")


def test_deleted_repository_is_gone(store: Store, repo: Repository) -> None:
    repo.put_object("main", "a", b"a")
    repo.commit("main", "one")
    store.delete_repository(repo.name)
    with pytest.raises(NotFoundError):
        store.repository(repo.name)
    assert repo.name not in [info.name for info in store.list_repositories()]
    with pytest.raises(NotFoundError):
        repo.get_branch("main")
