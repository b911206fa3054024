"""DVC's content hashes, recomputed: a file's MD5 and a directory's ``<md5>.dir`` listing hash.

A file's DVC hash is the plain MD5 of its bytes; a directory's is the MD5 of its listing (sorted
``[{"md5": ..., "relpath": ...}]`` as DVC serialises it) plus ``.dir``. Recomputing them lets
lakeline check store objects against dvc.lock without DVC, on every backend.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lakeline.pipeline.dvcproject import DIR_SUFFIX

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DirEntry:
    """One file of a directory output: path relative to the directory, and its MD5."""

    relpath: str
    md5: str
    size: int | None = None


def md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def dir_hash(entries: Iterable[DirEntry]) -> str:
    """DVC's hash of a directory listing (the value dvc.lock records for a directory output)."""
    listing = sorted(({"md5": e.md5, "relpath": e.relpath} for e in entries), key=lambda d: d["relpath"])
    # Byte-for-byte DVC's serialisation: json.dumps defaults with sorted keys.
    body = json.dumps(listing, sort_keys=True).encode("utf-8")
    return hashlib.md5(body, usedforsecurity=False).hexdigest() + DIR_SUFFIX


def cache_object_path(cache_dir: Path, digest: str) -> Path:
    return cache_dir / digest[:2] / digest[2:]


def read_dir_listing(cache_dir: Path | None, digest: str) -> list[DirEntry] | None:
    """The files of a ``.dir`` hash from DVC's cache; None if the cache does not hold it."""
    if cache_dir is None or not digest.endswith(DIR_SUFFIX):
        return None
    path = cache_object_path(cache_dir, digest)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, list):
        return None
    entries = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("relpath"), str) or "md5" not in item:
            return None
        entries.append(DirEntry(relpath=item["relpath"], md5=str(item["md5"]), size=item.get("size")))
    if dir_hash(entries) != digest:  # a damaged cache entry is not evidence of anything
        return None
    return entries


def hash_directory(folder: Path) -> list[DirEntry]:
    """Every regular file under ``folder`` with its MD5, sorted by relative path.

    Symlinked files are followed (DVC does the same); symlinked folders are not entered.
    """
    entries: list[DirEntry] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            if not full.is_file():
                continue
            rel = full.relative_to(folder).as_posix()
            entries.append(DirEntry(relpath=rel, md5=md5_file(full), size=full.stat().st_size))
    entries.sort(key=lambda e: e.relpath)
    return entries
