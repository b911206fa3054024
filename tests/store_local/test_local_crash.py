"""kill -9 at any point of writes, commits and merges leaves a consistent store.

A separate process (store_worker.py chaos) puts, deletes, commits and merges until it is
killed with SIGKILL at a random moment; then every commit it reported is readable, every
branch's objects read back with verified bytes, no blob (file or small_blobs row) has wrong
content, and the store keeps working. Repeated over several kills on the same store.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import blake3

from lakeline.store import ObjectStats
from lakeline.store.local import LocalStore

WORKER = Path(__file__).with_name("store_worker.py")
KILLS = 6


def _run_and_kill(root: Path, seed: int, rnd: random.Random) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "chaos", str(root), "crash-test", str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(rnd.uniform(0.1, 1.0))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return [line.split()[1] for line in out.splitlines() if line.startswith("committed ")]


def _check_consistent(root: Path, reported: list[str]) -> None:
    with sqlite3.connect(root / "metadata.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for checksum, data in db.execute("SELECT checksum, data FROM small_blobs"):
            assert blake3.blake3(data).hexdigest() == checksum, f"wrong small blob {checksum}"
    for blob in (root / "blobs").rglob("*"):
        if blob.is_file():
            hasher = blake3.blake3()
            hasher.update_mmap(blob)
            assert hasher.hexdigest() == blob.name, f"partial or wrong blob {blob}"
    with LocalStore(root, committer="checker") as store:
        repo = store.repository("crash-test")
        for commit_id in reported:
            repo.get_commit(commit_id)
        for branch in repo.list_branches():
            for ref in (branch.name, f"{branch.name}@"):
                for item in repo.list_objects(ref):
                    assert isinstance(item, ObjectStats)
                    data = repo.get_object(ref, item.path)
                    assert len(data) == item.size_bytes
                    assert blake3.blake3(data).hexdigest() == item.checksum
        for ref in reported:
            for item in repo.list_objects(ref):
                assert isinstance(item, ObjectStats)
                assert blake3.blake3(repo.get_object(ref, item.path)).hexdigest() == item.checksum


def test_store_survives_sigkill_during_writes_commits_and_merges(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with LocalStore(root, committer="setup") as store:
        repo = store.create_repository("crash-test")
        repo.create_branch("dev", "main")
    rnd = random.Random(1234)
    all_reported: list[str] = []
    for round_ in range(KILLS):
        all_reported += _run_and_kill(root, round_, rnd)
        _check_consistent(root, all_reported)
    assert all_reported, "the writer never got to commit: raise the kill delays"
    with LocalStore(root, committer="after") as store:
        repo = store.repository("crash-test")
        repo.reset_branch("main")
        repo.put_object("main", "after-crash", b"still works")
        repo.commit("main", "after the crashes")
        assert repo.get_object("main", "after-crash") == b"still works"
