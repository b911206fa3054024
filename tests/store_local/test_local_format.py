"""The embedded store refuses a store of another on-disk format instead of misreading it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from lakeline.errors import ConfigError
from lakeline.store.local import LocalStore
from lakeline.store.local.metadata import STORE_FORMAT


def test_store_of_another_format_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store", committer="tester")
    store.create_repository("formats")
    store.close()
    with sqlite3.connect(tmp_path / "store" / "metadata.sqlite") as conn:
        conn.execute(f"PRAGMA user_version = {STORE_FORMAT + 1}")
    with pytest.raises(ConfigError, match=f"format {STORE_FORMAT + 1}"):
        LocalStore(tmp_path / "store", committer="tester")


def test_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store", committer="tester")
    repo = store.create_repository("threads")
    for _ in range(20):
        worker = threading.Thread(target=lambda: list(repo.list_branches()))
        worker.start()
        worker.join()
    repo.get_branch("main")  # a new connection in this thread is when the dead are pruned
    worker = threading.Thread(target=lambda: list(repo.list_branches()))
    worker.start()
    worker.join()
    assert len(store.db._by_thread) <= 2
    assert [b.name for b in repo.list_branches()] == ["main"]
    store.close()


def test_opening_an_existing_store_and_reading_writes_nothing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store", committer="tester")
    repo = store.create_repository("quiet")
    repo.put_object("main", "a.txt", b"a")
    repo.commit("main", "one")
    store.close()
    meta = tmp_path / "store" / "metadata.sqlite"
    with sqlite3.connect(meta) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = {p.name: p.stat().st_size for p in meta.parent.glob("metadata.sqlite*")}
    reader = LocalStore(tmp_path / "store", committer="tester")
    assert reader.repository("quiet").get_object("main", "a.txt") == b"a"
    after = {p.name: p.stat().st_size for p in meta.parent.glob("metadata.sqlite*")}
    reader.close()
    assert after.get("metadata.sqlite-wal", 0) == before.get("metadata.sqlite-wal", 0)
