"""The store's metadata in SQLite: repositories, branches, tags, commits, staging, small blobs.

SQLite (WAL mode, busy timeout) gives transactions across processes: a branch moves only by
compare-and-swap inside one write transaction, and a commit deletes exactly the staging rows
it snapshotted (each staged write gets a new, ever-growing ``seq``; rows written after the
snapshot have larger ones and survive). One connection per thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakeline.errors import ConfigError, StoreUnavailableError
from lakeline.store.base import Commit, RepositoryInfo
from lakeline.store.local.manifest import Entry

SCHEMA = """
CREATE TABLE IF NOT EXISTS repositories (
    name TEXT PRIMARY KEY,
    default_branch TEXT NOT NULL,
    storage_namespace TEXT NOT NULL,
    creation_date INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS branches (
    repo TEXT NOT NULL,
    name TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    PRIMARY KEY (repo, name)
);
CREATE TABLE IF NOT EXISTS tags (
    repo TEXT NOT NULL,
    name TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    PRIMARY KEY (repo, name)
);
CREATE TABLE IF NOT EXISTS commits (
    repo TEXT NOT NULL,
    id TEXT NOT NULL,
    parents TEXT NOT NULL,
    committer TEXT NOT NULL,
    message TEXT NOT NULL,
    creation_date INTEGER NOT NULL,
    meta_range_id TEXT NOT NULL,
    metadata TEXT NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (repo, id)
);
CREATE TABLE IF NOT EXISTS staging (
    repo TEXT NOT NULL,
    branch TEXT NOT NULL,
    path TEXT NOT NULL,
    seq INTEGER NOT NULL,
    tombstone INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (repo, branch, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS small_blobs (
    checksum TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters (name, value) VALUES ('staging_seq', 0);
"""


@dataclass(frozen=True, slots=True)
class StagedRow:
    """A staged write: ``entry`` is None for a deletion (tombstone)."""

    seq: int
    path: str
    entry: Entry | None


def commit_from_row(row: Sequence[object]) -> Commit:
    parents, committer, message, creation_date, meta_range_id, metadata, generation, cid = row
    return Commit(
        id=str(cid),
        parents=tuple(json.loads(str(parents))),
        committer=str(committer),
        message=str(message),
        creation_date=int(str(creation_date)),
        meta_range_id=str(meta_range_id),
        metadata=json.loads(str(metadata)),
        generation=int(str(generation)),
    )


_COMMIT_COLUMNS = "parents, committer, message, creation_date, meta_range_id, metadata, generation, id"
_STAGING_COLUMNS = "seq, path, tombstone, checksum, size, mtime, content_type, metadata"


def _staged(row: Any) -> StagedRow:
    """A staging row (typed by the schema) as a StagedRow; hot in commits of many objects."""
    if row[2]:
        return StagedRow(row[0], row[1], None)
    return StagedRow(row[0], row[1], Entry(row[1], row[3], row[4], row[5], row[6], row[7]))


# Bumped whenever the on-disk layout changes; a store of another format is refused, not misread.
STORE_FORMAT = 2  # 2: small blobs are rows of small_blobs


class MetadataDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # One connection per thread; those of finished threads are closed when a new one opens.
        self._by_thread: dict[int, sqlite3.Connection] = {}
        self._all_lock = threading.Lock()
        conn = self.conn
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if has_tables and found != STORE_FORMAT:
            raise ConfigError(
                f"the store at {path.parent} has format {found}, this lakeline reads format "
                f"{STORE_FORMAT}: use the lakeline version that wrote it"
            )
        if not has_tables:  # a new store; opening an existing one writes nothing
            conn.executescript(SCHEMA + f"; PRAGMA user_version = {STORE_FORMAT};")

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA busy_timeout=60000")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA cache_size=-65536")
            except sqlite3.Error as exc:
                raise StoreUnavailableError(f"cannot open the store metadata {self.path}: {exc}") from None
            self._local.conn = conn
            with self._all_lock:
                alive = {thread.ident for thread in threading.enumerate()}
                for ident in [i for i in self._by_thread if i not in alive]:
                    self._by_thread.pop(ident).close()
                previous = self._by_thread.get(threading.get_ident())
                if previous is not None:  # a finished thread's ident, reused
                    previous.close()
                self._by_thread[threading.get_ident()] = conn
        return conn

    def close(self) -> None:
        with self._all_lock:
            for conn in self._by_thread.values():
                conn.close()
            self._by_thread.clear()
        self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: takes the write lock up front)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    # --- repositories -------------------------------------------------------------------------
    def get_repository(self, name: str) -> RepositoryInfo | None:
        row = self.conn.execute(
            "SELECT name, default_branch, storage_namespace, creation_date FROM repositories WHERE name=?",
            (name,),
        ).fetchone()
        return RepositoryInfo(*row) if row else None

    def list_repositories(self) -> list[RepositoryInfo]:
        rows = self.conn.execute(
            "SELECT name, default_branch, storage_namespace, creation_date FROM repositories ORDER BY name"
        ).fetchall()
        return [RepositoryInfo(*row) for row in rows]

    # --- refs ---------------------------------------------------------------------------------
    def branch_commit(self, repo: str, name: str, conn: sqlite3.Connection | None = None) -> str | None:
        row = (
            (conn or self.conn)
            .execute("SELECT commit_id FROM branches WHERE repo=? AND name=?", (repo, name))
            .fetchone()
        )
        return str(row[0]) if row else None

    def tag_commit(self, repo: str, name: str, conn: sqlite3.Connection | None = None) -> str | None:
        row = (
            (conn or self.conn)
            .execute("SELECT commit_id FROM tags WHERE repo=? AND name=?", (repo, name))
            .fetchone()
        )
        return str(row[0]) if row else None

    def list_refs(self, table: str, repo: str, prefix: str, after: str, limit: int) -> list[tuple[str, str]]:
        assert table in ("branches", "tags")
        rows = self.conn.execute(
            f"SELECT name, commit_id FROM {table} WHERE repo=? AND name>? AND substr(name,1,?)=? "
            "ORDER BY name LIMIT ?",
            (repo, after, len(prefix), prefix, limit),
        ).fetchall()
        return [(str(a), str(b)) for a, b in rows]

    # --- commits ------------------------------------------------------------------------------
    def get_commit(self, repo: str, commit_id: str, conn: sqlite3.Connection | None = None) -> Commit | None:
        row = (
            (conn or self.conn)
            .execute(f"SELECT {_COMMIT_COLUMNS} FROM commits WHERE repo=? AND id=?", (repo, commit_id))
            .fetchone()
        )
        return commit_from_row(row) if row else None

    def commits_with_prefix(self, repo: str, prefix: str, limit: int = 2) -> list[str]:
        rows = self.conn.execute(
            "SELECT id FROM commits WHERE repo=? AND id>=? AND id<? ORDER BY id LIMIT ?",
            (repo, prefix, prefix + "g", limit),
        ).fetchall()
        return [str(r[0]) for r in rows]

    @staticmethod
    def insert_commit(conn: sqlite3.Connection, repo: str, commit: Commit) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO commits (repo, id, parents, committer, message, creation_date, "
            "meta_range_id, metadata, generation) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                repo,
                commit.id,
                json.dumps(list(commit.parents)),
                commit.committer,
                commit.message,
                commit.creation_date,
                commit.meta_range_id,
                json.dumps(dict(commit.metadata), sort_keys=True),
                commit.generation,
            ),
        )

    # --- staging ------------------------------------------------------------------------------
    @staticmethod
    def stage(
        conn: sqlite3.Connection, repo: str, branch: str, rows: Sequence[tuple[str, Entry | None]]
    ) -> None:
        """Stage rows (inside a write transaction); each gets a new, larger ``seq``."""
        if not rows:
            return
        top = conn.execute(
            "UPDATE counters SET value = value + ? WHERE name = 'staging_seq' RETURNING value", (len(rows),)
        ).fetchone()[0]
        first = top - len(rows) + 1
        conn.executemany(
            "INSERT OR REPLACE INTO staging (repo, branch, path, seq, tombstone, checksum, size, mtime, "
            "content_type, metadata) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                (repo, branch, path, seq, 0, e.checksum, e.size, e.mtime, e.content_type, e.metadata)
                if e is not None
                else (repo, branch, path, seq, 1, "", 0, 0, "", "{}")
                for seq, (path, e) in enumerate(rows, first)
            ),
        )

    @staticmethod
    def unstage(conn: sqlite3.Connection, repo: str, branch: str, paths: Iterable[str]) -> None:
        conn.executemany(
            "DELETE FROM staging WHERE repo=? AND branch=? AND path=?",
            ((repo, branch, p) for p in paths),
        )

    def staged(
        self, repo: str, branch: str, path: str, conn: sqlite3.Connection | None = None
    ) -> StagedRow | None:
        row = (
            (conn or self.conn)
            .execute(
                f"SELECT {_STAGING_COLUMNS} FROM staging WHERE repo=? AND branch=? AND path=?",
                (repo, branch, path),
            )
            .fetchone()
        )
        return _staged(row) if row else None

    def staged_page(
        self, repo: str, branch: str, after: str, start: str, prefix: str, limit: int
    ) -> list[StagedRow]:
        """Staged rows with path > after, path >= start and starting with prefix, sorted by path."""
        rows = self.conn.execute(
            f"SELECT {_STAGING_COLUMNS} FROM staging WHERE repo=? AND branch=? AND path>? AND path>=? "
            "AND substr(path,1,?)=? ORDER BY path LIMIT ?",
            (repo, branch, after, start, len(prefix), prefix, limit),
        ).fetchall()
        return [_staged(r) for r in rows]

    def iter_staged(self, repo: str, branch: str, prefix: str = "", page: int = 5000) -> Iterator[StagedRow]:
        after = ""
        start = prefix
        while True:
            rows = self.staged_page(repo, branch, after, start, prefix, page)
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1].path

    def staging_snapshot(self, conn: sqlite3.Connection, repo: str, branch: str) -> list[StagedRow]:
        rows = conn.execute(
            f"SELECT {_STAGING_COLUMNS} FROM staging WHERE repo=? AND branch=? ORDER BY path",
            (repo, branch),
        ).fetchall()
        return [_staged(r) for r in rows]

    @staticmethod
    def max_staged_seq(conn: sqlite3.Connection, repo: str, branch: str) -> int:
        row = conn.execute(
            "SELECT max(seq) FROM staging WHERE repo=? AND branch=?", (repo, branch)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # --- small blobs (blobs.py decides which blobs are small) ---------------------------------
    @staticmethod
    def insert_small_blobs(conn: sqlite3.Connection, rows: Iterable[tuple[str, bytes]]) -> None:
        conn.executemany("INSERT OR IGNORE INTO small_blobs (checksum, data) VALUES (?,?)", rows)

    def small_blob(self, checksum: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM small_blobs WHERE checksum=?", (checksum,)).fetchone()
        return bytes(row[0]) if row else None
