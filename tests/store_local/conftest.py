"""Fixtures for the embedded store's own tests: real stores in tmp_path, small ranges.

Small ranges (``range_bits=2``: ~4 entries per range) make even tiny trees span many ranges,
so range reuse, skipping and re-cutting are exercised by every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeline.store.local import LocalRepository, LocalStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore(tmp_path / "store", committer="tester", range_bits=2) as opened:
        yield opened


@pytest.fixture
def repo(store: LocalStore) -> LocalRepository:
    return store.create_repository("local-test")
