"""Concurrent writers (threads and processes) on one branch never lose an update."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from lakeline.errors import NoChangesError
from lakeline.store.local import LocalRepository, LocalStore

WORKER = Path(__file__).with_name("store_worker.py")


def _assert_linear_history(repo: LocalRepository, commits: int) -> None:
    log = list(repo.log("main"))
    assert len(log) == commits + 1  # plus "Repository created"
    for child, parent in itertools.pairwise(log):
        assert child.parents == (parent.id,)


def test_processes_committing_to_one_branch_lose_no_update(store: LocalStore, repo: LocalRepository) -> None:
    workers, rounds = 3, 12
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "commits", str(store.root), repo.name, "main", str(w), str(rounds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    made = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        made += int(out.split()[-1])
    expected = {f"w{w}/{i:03d}": f"{w}:{i}".encode() for w in range(workers) for i in range(rounds)}
    assert {p: repo.get_object("main@", p) for p in expected} == expected
    assert list(repo.diff_uncommitted("main")) == []
    _assert_linear_history(repo, made)


def test_threads_sharing_one_repository_lose_no_update(repo: LocalRepository) -> None:
    errors: list[BaseException] = []
    made = [0]
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            for i in range(10):
                repo.put_object("main", f"t{worker}/{i}", f"{worker}-{i}".encode())
                try:
                    repo.commit("main", f"t{worker} {i}")
                    with lock:
                        made[0] += 1
                except NoChangesError:
                    pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {p.path for p in repo.list_objects("main@")} == {f"t{w}/{i}" for w in range(4) for i in range(10)}  # type: ignore[union-attr]
    _assert_linear_history(repo, made[0])


def test_write_staged_during_a_commit_survives_it(
    repo: LocalRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A put that lands between the commit's staging snapshot and its ref update stays staged."""
    repo.put_object("main", "first", b"1")
    manifests = repo._manifests
    original_apply = manifests.apply
    injected: list[bool] = []

    def apply_and_write_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not injected:
            injected.append(True)
            repo.put_object("main", "during", b"2")
            repo.put_object("main", "first", b"1-newer")
        return original_apply(*args, **kwargs)

    monkeypatch.setattr(manifests, "apply", apply_and_write_meanwhile)
    repo.commit("main", "snapshot")
    assert repo.get_object("main@", "first") == b"1"
    assert {(c.type, c.path) for c in repo.diff_uncommitted("main")} == {
        ("added", "during"),
        ("changed", "first"),
    }
    repo.commit("main", "rest")
    assert repo.get_object("main@", "during") == b"2"
    assert repo.get_object("main@", "first") == b"1-newer"


def test_commit_whose_branch_moved_is_rebuilt_on_the_new_head(
    store: LocalStore, repo: LocalRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process commits (taking our staged write with it) and stages more before our
    ref update: our compare-and-swap fails, and the retry commits what is left on the new head."""
    repo.put_object("main", "mine", b"m")
    other_store = LocalStore(store.root, committer="other")
    other = other_store.repository(repo.name)
    manifests = repo._manifests
    original_apply = manifests.apply
    raced: list[str] = []

    def apply_while_another_process_commits(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            other.put_object("main", "theirs", b"t")
            raced.append(other.commit("main", "theirs").id)
            other.put_object("main", "later", b"l")
        return original_apply(*args, **kwargs)

    monkeypatch.setattr(manifests, "apply", apply_while_another_process_commits)
    mine = repo.commit("main", "mine")
    other_store.close()
    assert mine.parents == (raced[0],)
    assert repo.get_object(raced[0], "mine") == b"m"
    assert sorted(e.path for e in repo.list_objects(mine.id)) == ["later", "mine", "theirs"]  # type: ignore[union-attr]
    assert list(repo.diff_uncommitted("main")) == []
