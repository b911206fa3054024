"""Opening the catalog file safely when several lakeline processes share it.

DuckDB lets one process write a database file and fails a second open at once, so every
lakeline process takes an advisory lock first (``catalog.lock`` beside the database): shared
for readers, exclusive for the writer (sync), waiting up to a timeout. Connections are short:
open, work, close. Readers get DuckDB with file access, extension loading and configuration
changes switched off, which is what makes ``lakeline sql`` unable to write anywhere.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeline.errors import CatalogError

if TYPE_CHECKING:
    import duckdb

CATALOG_FILE = "catalog.duckdb"
LOCK_FILE = "catalog.lock"
_POLL_SECONDS = 0.02
WAIT_SECONDS = 60.0  # explicit syncs and readers wait this long for the catalog
AUTO_SYNC_SECONDS = 2.0  # a sync after lakeline's own writes gives up sooner: the next one catches up

# What this process holds per lock file: flock treats each open file as its own holder, so a
# process that asks for the writer lock while it holds a reader lock would wait for itself.
_held_guard = threading.Lock()
_held: dict[str, list[int]] = {}  # lock path -> [readers, writers]


class CatalogBusyError(CatalogError):
    """Another process (or this one) holds the catalog and did not let go within the wait."""


def catalog_file(state_dir: Path) -> Path:
    return state_dir / CATALOG_FILE


def lock_file(db: Path) -> Path:
    return db.with_name(LOCK_FILE)


def _sidecars(db: Path) -> list[Path]:
    return [db.with_name(db.name + ".wal")]


@contextlib.contextmanager
def catalog_lock(db: Path, *, exclusive: bool, timeout: float) -> Iterator[None]:
    """Hold the catalog's advisory lock (shared or exclusive), waiting up to ``timeout`` seconds."""
    path = lock_file(db)
    key = str(path)
    with _held_guard:
        readers, writers = _held.get(key, [0, 0])
        if exclusive and (readers or writers):
            raise CatalogBusyError(
                f"the catalog {db} is already open in this process; close it before syncing"
            )
        if not exclusive and writers:
            raise CatalogBusyError(f"the catalog {db} is being synced in this process; read it afterwards")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, exclusive=exclusive, timeout=timeout, db=db)
        with _held_guard:
            counts = _held.setdefault(key, [0, 0])
            counts[1 if exclusive else 0] += 1
        try:
            yield
        finally:
            with _held_guard:
                counts = _held[key]
                counts[1 if exclusive else 0] -= 1
                if counts == [0, 0]:
                    del _held[key]
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, *, exclusive: bool, timeout: float, db: Path) -> None:
    op = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline = time.monotonic() + max(timeout, 0.0)
    while True:
        try:
            fcntl.flock(fd, op)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise CatalogError(f"cannot lock the catalog {db}: {exc.strerror}") from None
        if time.monotonic() >= deadline:
            what = "syncing" if exclusive else "reading"
            raise CatalogBusyError(
                f"the catalog {db} is busy (another lakeline process holds it) and was not free "
                f"for {what} within {timeout:g} s: try again in a moment"
            )
        time.sleep(_POLL_SECONDS)


def _connect(db: Path, *, read_only: bool, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    import duckdb

    try:
        return duckdb.connect(str(db), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise CatalogError(
                f"the catalog {db} is held by another program (not lakeline): close it and retry"
            ) from None
        raise CatalogError(
            f"cannot open the catalog {db}: {_first_line(text)}; run 'lakeline catalog rebuild'"
        ) from None
    except duckdb.Error as exc:
        raise CatalogError(
            f"cannot open the catalog {db}: {_first_line(str(exc))}; run 'lakeline catalog rebuild'"
        ) from None


@contextlib.contextmanager
def open_writer(db: Path, *, timeout: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """The catalog opened for writing, under the exclusive lock."""
    with catalog_lock(db, exclusive=True, timeout=timeout), writer_connection(db) as conn:
        yield conn


@contextlib.contextmanager
def writer_connection(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection; the caller holds the exclusive lock. Checkpointed on success."""
    conn = _connect(
        db,
        read_only=False,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        yield conn
        conn.execute("CHECKPOINT")
    finally:
        conn.close()


def replace_catalog(db: Path, build: Path) -> None:
    """Swap a freshly built database file in for ``db`` (caller holds the exclusive lock)."""
    for stale in _sidecars(db):
        # A WAL left by a killed writer belongs to the old file and must not replay into the new.
        stale.unlink(missing_ok=True)
    os.replace(build, db)


@contextlib.contextmanager
def open_reader(db: Path, *, timeout: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """The catalog opened read-only with file access, extensions and settings locked down."""
    if not db.exists():
        raise CatalogError(f"there is no catalog at {db} yet: run 'lakeline catalog sync'")
    with (
        catalog_lock(db, exclusive=False, timeout=timeout),
        tempfile.TemporaryDirectory(prefix="lakeline-sql-") as spill,
    ):
        conn = _connect(
            db,
            read_only=True,
            config={
                "enable_external_access": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "allow_community_extensions": False,
                # Large queries may spill; never next to the catalog in .lakeline/.
                "temp_directory": spill,
                "lock_configuration": True,
            },
        )
        try:
            yield conn
        finally:
            conn.close()


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "unknown error"
