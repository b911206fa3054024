"""A store whose staging table predates the WITHOUT ROWID layout keeps its staged writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lakeline.store.local import LocalStore

OLD_STAGING = """
CREATE TABLE staging (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    repo TEXT NOT NULL, branch TEXT NOT NULL, path TEXT NOT NULL, tombstone INTEGER NOT NULL,
    checksum TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
    content_type TEXT NOT NULL, metadata TEXT NOT NULL,
    UNIQUE (repo, branch, path)
)
"""


def test_old_staging_table_is_migrated_with_its_rows(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with LocalStore(root, committer="t") as store:
        repo = store.create_repository("old-store")
        stats = repo.put_object("main", "staged", b"kept")
    with sqlite3.connect(root / "metadata.sqlite") as db:
        row = db.execute("SELECT repo, branch, path, checksum, size, mtime FROM staging").fetchone()
        db.execute("DROP TABLE staging")
        db.execute("DROP TABLE counters")
        db.execute(OLD_STAGING)
        db.execute(
            "INSERT INTO staging (seq, repo, branch, path, tombstone, checksum, size, mtime, content_type, "
            "metadata) VALUES (41, ?, ?, ?, 0, ?, ?, ?, 'application/octet-stream', '{}')",
            row,
        )
    with LocalStore(root, committer="t") as store:
        repo = store.repository("old-store")
        assert repo.get_object("main", "staged") == b"kept"
        assert repo.stat_object("main", "staged").checksum == stats.checksum
        repo.put_object("main", "new", b"n")
        repo.commit("main", "both")
        assert sorted(e.path for e in repo.list_objects("main@")) == ["new", "staged"]  # type: ignore[union-attr]
    with sqlite3.connect(root / "metadata.sqlite") as db:
        assert db.execute("SELECT value FROM counters WHERE name='staging_seq'").fetchone()[0] > 41
