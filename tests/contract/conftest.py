"""The store contract suite's fixtures: one list of backends, a fresh repository per test.

A backend is a `Backend` entry in `BACKENDS`: a name and a function that, given the pytest
request and a temp folder, returns a context manager yielding a `Store`. Adding a backend
(the lakeFS test server, a real lakeFS) is adding one entry; every test then runs against it.
Tests here use only the `lakeline.store` protocol.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakeline.errors import NotFoundError
from lakeline.store import Repository, Store


@dataclass(frozen=True)
class Backend:
    name: str
    open: Callable[[pytest.FixtureRequest, Path], AbstractContextManager[Store]]
    # Storage namespace for a new repository (a real lakeFS needs one); None: backend default.
    namespace_for: Callable[[str], str | None] = lambda name: None


@contextmanager
def _local_store(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Store]:
    from lakeline.store.local import LocalStore

    store = LocalStore(tmp / "store", committer="contract-tester")
    try:
        yield store
    finally:
        store.close()


def _lakefs_store(request: pytest.FixtureRequest, tmp: Path) -> AbstractContextManager[Store]:
    # lakeFS backend against the in-process lakeFS-API test server (tests/lakefs_server).
    from tests.lakefs_server.fixtures import in_process_store

    return in_process_store(request, tmp)


def _real_lakefs_store(request: pytest.FixtureRequest, tmp: Path) -> AbstractContextManager[Store]:
    from tests.lakefs_server.fixtures import real_store

    return real_store(request, tmp)


def _real_lakefs_configured() -> bool:
    import os

    names = ("LAKEFS_TEST_ENDPOINT", "LAKEFS_TEST_ACCESS_KEY_ID", "LAKEFS_TEST_SECRET_ACCESS_KEY")
    return all(os.environ.get(name) for name in names)


BACKENDS: list[Backend] = [
    Backend("local", _local_store),
    Backend("lakefs", _lakefs_store),
    *([Backend("lakefs-real", _real_lakefs_store)] if _real_lakefs_configured() else []),
]


@pytest.fixture(params=BACKENDS, ids=lambda backend: backend.name)
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def store(backend: Backend, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with backend.open(request, tmp_path) as opened:
        yield opened


@pytest.fixture
def repo_name() -> str:
    return f"contract-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def repo(store: Store, backend: Backend, repo_name: str) -> Iterator[Repository]:
    repository = store.create_repository(repo_name, storage_namespace=backend.namespace_for(repo_name))
    yield repository
    with contextlib.suppress(NotFoundError):  # the test may have deleted it
        store.delete_repository(repo_name)
