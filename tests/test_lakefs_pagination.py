"""Pagination everywhere: with a server that returns 3 items a page, every listing still
yields everything, honours ``after`` (exclusive) and ``amount``, and never loops."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from lakeline.errors import StoreUnavailableError
from lakeline.store.lakefs import LakeFSRepository, LakeFSStore
from lakeline.store.lakefs.store import paginate
from tests.lakefs_server import LakeFSTestServer

PAGE = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeFSTestServer]:
    with LakeFSTestServer(tmp_path_factory.mktemp("lakefs-pages"), page_limit=PAGE) as running:
        yield running


@pytest.fixture(scope="module")
def store(server: LakeFSTestServer) -> Iterator[LakeFSStore]:
    with LakeFSStore(
        endpoint=server.url, access_key_id=server.access_key_id, secret_access_key=server.secret_access_key
    ) as opened:
        yield opened


@pytest.fixture(scope="module")
def repo(store: LakeFSStore) -> LakeFSRepository:
    """main: 10 commits of 10 objects (o0..o9); branches b0..b9; tags t0..t9; dirty dev."""
    repo = store.create_repository(f"pages-{uuid.uuid4().hex[:10]}")
    for i in range(10):
        repo.put_object("main", f"dir/o{i}", f"v{i}".encode())
        repo.commit("main", f"c{i}")
        repo.create_branch(f"b{i}", "main")
        repo.create_tag(f"t{i}", "main")
    repo.create_branch("dev", "main")
    for i in range(10):
        repo.put_object("dev", f"dir/o{i}", b"changed")
    return repo


def list_calls(server: LakeFSTestServer, suffix: str) -> int:
    return sum(1 for m, p in server.requests if m == "GET" and p.endswith(suffix))


def test_every_listing_yields_all_items_across_many_pages(
    repo: LakeFSRepository, server: LakeFSTestServer
) -> None:
    server.clear_requests()
    assert [b.name for b in repo.list_branches(prefix="b")] == [f"b{i}" for i in range(10)]
    assert [t.name for t in repo.list_tags()] == [f"t{i}" for i in range(10)]
    assert [o.path for o in repo.list_objects("main", prefix="dir/")] == [f"dir/o{i}" for i in range(10)]
    assert [c.message for c in repo.log("main")] == [f"c{i}" for i in reversed(range(10))] + [
        "Repository created"
    ]
    assert len(list(repo.diff("main~10", "main", diff_type="two_dot"))) == 10
    assert len(list(repo.diff_uncommitted("dev"))) == 10
    assert list_calls(server, "/branches") == 4  # 10 items, 3 a page
    assert list_calls(server, "/objects/ls") == 4
    assert list_calls(server, "/refs/main/commits") == 4  # 11 commits


def test_after_is_exclusive_and_amount_caps_across_pages(repo: LakeFSRepository) -> None:
    assert [t.name for t in repo.list_tags(after="t2", amount=5)] == ["t3", "t4", "t5", "t6", "t7"]
    assert [o.path for o in repo.list_objects("main", after="dir/o7")] == ["dir/o8", "dir/o9"]
    newest = [c.id for c in repo.log("main")]
    assert [c.id for c in repo.log("main", after=newest[3], amount=4)] == newest[4:8]
    assert [c.path for c in repo.diff("main~10", "main", after="dir/o4", amount=2)] == ["dir/o5", "dir/o6"]


def test_repositories_page_too(store: LakeFSStore, repo: LakeFSRepository) -> None:
    names = [f"pages-more-{i}" for i in range(5)]
    for name in names:
        store.create_repository(name)
    listed = [info.name for info in store.list_repositories()]
    assert set(names) | {repo.name} <= set(listed)
    assert listed == sorted(listed)


def test_a_cursor_that_does_not_advance_is_an_error_not_a_loop() -> None:
    stuck = SimpleNamespace(results=["x"], pagination=SimpleNamespace(has_more=True, next_offset="x"))

    def fetch(after: str, amount: int) -> Any:
        return stuck

    with pytest.raises(StoreUnavailableError, match="did not advance"):
        list(paginate(fetch, after="x"))


def test_client_asks_at_most_lakefs_maximum_per_page() -> None:
    asked: list[int] = []

    def fetch(after: str, amount: int) -> Any:
        asked.append(amount)
        done = len(asked) == 3
        return SimpleNamespace(
            results=[f"{len(asked)}-{i}" for i in range(amount)],
            pagination=SimpleNamespace(has_more=not done, next_offset="" if done else f"{len(asked)}"),
        )

    assert len(list(paginate(fetch, amount=2500))) == 2500
    assert asked == [1000, 1000, 500]
