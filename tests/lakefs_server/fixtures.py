"""Stores for test suites: the in-process test server (one per test session and pre-sign
setting, a fresh client per test) and a real lakeFS when LAKEFS_TEST_* variables are set.

The contract suite's backend entries call `test_server_store` / `real_lakefs_store`, so
tests/contract/conftest.py needs one line per backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lakeline.store import Store

from .server import LakeFSTestServer

REAL_ENDPOINT = "LAKEFS_TEST_ENDPOINT"
REAL_KEY_ID = "LAKEFS_TEST_ACCESS_KEY_ID"
REAL_SECRET = "LAKEFS_TEST_SECRET_ACCESS_KEY"
REAL_NAMESPACE = "LAKEFS_TEST_STORAGE_NAMESPACE"  # optional: a folder for test repositories

_servers: dict[bool, LakeFSTestServer] = {}


def session_server(request: pytest.FixtureRequest, *, presign: bool = False) -> LakeFSTestServer:
    """One test server per pytest process and pre-sign setting, stopped at session end."""
    server = _servers.get(presign)
    if server is None:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        root = factory.mktemp("lakefs-presign" if presign else "lakefs")
        server = LakeFSTestServer(root, presign=presign).start()
        _servers[presign] = server

        def stop() -> None:
            _servers.pop(presign, None)
            server.stop()

        request.config.add_cleanup(stop)
    return server


def client_for(server: LakeFSTestServer) -> Store:
    from lakeline.store.lakefs import LakeFSStore

    return LakeFSStore(
        endpoint=server.url,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
    )


@contextmanager
def in_process_store(request: pytest.FixtureRequest, tmp: Path, *, presign: bool = False) -> Iterator[Store]:
    store = client_for(session_server(request, presign=presign))
    try:
        yield store
    finally:
        store.close()


def real_lakefs_configured() -> bool:
    return all(os.environ.get(name) for name in (REAL_ENDPOINT, REAL_KEY_ID, REAL_SECRET))


@contextmanager
def real_store(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Store]:
    from lakeline.store.lakefs import LakeFSStore

    namespace = os.environ.get(REAL_NAMESPACE) or None
    store = LakeFSStore(
        endpoint=os.environ[REAL_ENDPOINT],
        access_key_id=os.environ[REAL_KEY_ID],
        secret_access_key=os.environ[REAL_SECRET],
        storage_namespace=namespace.rstrip("/") + "/" if namespace else None,
    )
    try:
        yield store
    finally:
        store.close()
