"""Retries with backoff and timeouts: 429/503 are repeated for any call (the server did not
act), other 5xx and broken connections only for idempotent calls, so a commit is never
applied twice; a server that stops answering times out instead of hanging."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeline.errors import StoreUnavailableError
from lakeline.store.lakefs import LakeFSRepository, LakeFSStore
from lakeline.store.lakefs.client import RetryPolicy, Timeouts
from tests.lakefs_server import LakeFSTestServer

ATTEMPTS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeFSTestServer]:
    with LakeFSTestServer(tmp_path_factory.mktemp("lakefs-retries")) as running:
        yield running


@pytest.fixture
def store(server: LakeFSTestServer) -> Iterator[LakeFSStore]:
    with LakeFSStore(
        endpoint=server.url, access_key_id=server.access_key_id, secret_access_key=server.secret_access_key
    ) as opened:
        opened.client.retry = RetryPolicy(attempts=ATTEMPTS, base_delay=0.001, max_delay=0.05)
        yield opened


@pytest.fixture
def repo(store: LakeFSStore, server: LakeFSTestServer) -> Iterator[LakeFSRepository]:
    created = store.create_repository(f"retries-{uuid.uuid4().hex[:10]}")
    server.clear_requests()
    yield created
    server.state.faults.clear()


def calls(server: LakeFSTestServer, method: str, suffix: str) -> int:
    return sum(1 for m, p in server.requests if m == method and p.endswith(suffix))


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_or_unavailable_answers_are_retried_until_success(
    repo: LakeFSRepository, server: LakeFSTestServer, status: int
) -> None:
    server.inject(status, times=2, method="GET", path_pattern=r"/branches/main$")
    assert repo.get_branch("main").name == "main"
    assert calls(server, "GET", "/branches/main") == 3


def test_retry_after_header_sets_the_wait(repo: LakeFSRepository, server: LakeFSTestServer) -> None:
    repo._client.retry = RetryPolicy(attempts=ATTEMPTS, base_delay=0.001, max_delay=1.0)
    server.inject(429, times=1, method="GET", path_pattern=r"/branches/main$", retry_after="0.3")
    started = time.monotonic()
    repo.get_branch("main")
    assert time.monotonic() - started >= 0.3


def test_a_commit_is_retried_on_503_and_lands_exactly_once(
    repo: LakeFSRepository, server: LakeFSTestServer
) -> None:
    repo.put_object("main", "a", b"a")
    server.inject(503, times=1, method="POST", path_pattern=r"/commits$")
    commit = repo.commit("main", "once")
    assert calls(server, "POST", "/branches/main/commits") == 2
    assert [c.message for c in repo.log("main")] == ["once", "Repository created"]
    assert repo.get_branch("main").commit_id == commit.id


def test_a_commit_is_not_retried_on_500_which_may_have_applied_it(
    repo: LakeFSRepository, server: LakeFSTestServer
) -> None:
    repo.put_object("main", "a", b"a")
    server.inject(500, times=1, method="POST", path_pattern=r"/commits$")
    with pytest.raises(StoreUnavailableError, match="lakeFS 500"):
        repo.commit("main", "maybe")
    assert calls(server, "POST", "/branches/main/commits") == 1


def test_reads_are_retried_on_500(repo: LakeFSRepository, server: LakeFSTestServer) -> None:
    server.inject(500, times=1, method="GET", path_pattern=r"/refs/main/commits$")
    assert repo.get_commit("main").message == "Repository created"


def test_persistent_failure_gives_up_after_the_policy_attempts(
    repo: LakeFSRepository, server: LakeFSTestServer
) -> None:
    server.inject(503, times=100, method="GET", path_pattern=r"/tags$")
    with pytest.raises(StoreUnavailableError, match="lakeFS 503"):
        list(repo.list_tags())
    assert calls(server, "GET", "/tags") == ATTEMPTS


def test_downloads_are_retried_on_503(
    repo: LakeFSRepository, server: LakeFSTestServer, tmp_path: Path
) -> None:
    repo.put_object("main", "x.bin", b"x" * 5000)
    server.inject(503, times=2, method="GET", path_pattern=r"/refs/main/objects$")
    repo.download_object("main", "x.bin", tmp_path / "x.bin")
    assert (tmp_path / "x.bin").read_bytes() == b"x" * 5000


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_hung_server_times_out_instead_of_hanging(silent_server: int) -> None:
    with LakeFSStore(
        endpoint=f"http://127.0.0.1:{silent_server}", access_key_id="k", secret_access_key="s"
    ) as store:
        store.client.retry = RetryPolicy(attempts=2, base_delay=0.001)
        store.client.timeouts = Timeouts(connect=1.0, read=0.3)
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="unreachable"):
            store.repository("any-repo")
        assert time.monotonic() - started < 5
