"""The store: protocol, value types and the backend registry.

`open_store` maps a backend name to its implementation, imported lazily so that loading
lakefs-sdk (slow to import) only happens when the lakeFS backend is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from lakeline.errors import ConfigError
from lakeline.store.base import (
    Branch,
    Change,
    ChangeType,
    Commit,
    CommonPrefix,
    Data,
    DiffType,
    MergeStrategy,
    ObjectStats,
    Repository,
    RepositoryInfo,
    Store,
    Tag,
    Upload,
)

BACKENDS: dict[str, str] = {
    "local": "lakeline.store.local:LocalStore",
    "lakefs": "lakeline.store.lakefs:LakeFSStore",
}


def open_store(backend: str, **options: Any) -> Store:
    """Open a store backend by name (``local`` or ``lakefs``) with its own options."""
    try:
        target = BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ConfigError(f"unknown store backend {backend!r} (known: {known})") from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    store: Store = cls(**options)
    return store


__all__ = [
    "BACKENDS",
    "Branch",
    "Change",
    "ChangeType",
    "Commit",
    "CommonPrefix",
    "Data",
    "DiffType",
    "MergeStrategy",
    "ObjectStats",
    "Repository",
    "RepositoryInfo",
    "Store",
    "Tag",
    "Upload",
    "open_store",
]
