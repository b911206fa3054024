"""The embedded versioned store: lakeFS semantics on one machine, no server.

`LocalStore` (store.py) holds repositories; `LocalRepository` (repository.py) implements
the `lakeline.store.base.Repository` protocol. How it works: docs/store.md.
"""

from __future__ import annotations

from lakeline.store.local.repository import LocalRepository
from lakeline.store.local.store import LocalStore

__all__ = ["LocalRepository", "LocalStore"]
