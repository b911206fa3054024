"""Which workspace files a pipeline commit stores, each with its DVC hash (MD5).

That is: every output in dvc.lock (directories expanded to their files through DVC's ``.dir``
listing), dvc.yaml, dvc.lock, the params files, and the data dependencies git does not track
(git-tracked dependencies are code: the recorded git sha covers them). When the pipeline is
up to date dvc.lock's hashes are trusted; otherwise files are hashed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lakeline.errors import PipelineError
from lakeline.names import RESERVED_PREFIX
from lakeline.pipeline.dvcproject import DVC_LOCK, DVC_YAML, DvcProject, LockedPath, LockedStage
from lakeline.pipeline.hashing import DirEntry, hash_directory, read_dir_listing
from lakeline.pipeline.state import HashCache

# Folders that are never data, whatever dvc.lock says.
_NEVER_STORED = (".git", ".dvc", ".lakeline")


@dataclass(frozen=True)
class TrackedFile:
    path: str  # store path = workspace path relative to the project root, '/'-separated
    md5: str
    size: int


@dataclass(frozen=True)
class TrackedSet:
    files: Mapping[str, TrackedFile]
    roots: frozenset[str]  # output paths (files and directories) this commit owns in the store
    missing_outputs: tuple[tuple[str, str], ...]  # (stage, path) of outputs absent from the workspace


def storable(path: str) -> bool:
    """A lock path lakeline can store: local, inside the project, not in tool folders."""
    if "://" in path or path.startswith(("/", "../")) or path == ".." or not path:
        return False
    if path.startswith(RESERVED_PREFIX):
        return False
    first = path.split("/", 1)[0]
    return first not in _NEVER_STORED and ".." not in path.split("/")


def collect(
    project: DvcProject,
    stages: Mapping[str, LockedStage],
    *,
    git_tracked: set[str],
    cache_dir: Path | None,
    trust_lock: bool,
    hashes: HashCache,
) -> TrackedSet:
    """Every file the commit stores; outputs missing from the workspace are listed, not raised."""
    root = project.root
    files: dict[str, TrackedFile] = {}
    roots: set[str] = set()
    missing: list[tuple[str, str]] = []
    produced = {out.path for stage in stages.values() for out in stage.outs}

    def add_file(rel: str, md5: str | None = None) -> None:
        record = hashes.record(rel, md5=md5)
        files[rel] = TrackedFile(rel, record.md5, record.size)

    for stage in stages.values():
        for out in stage.outs:
            if not storable(out.path):
                continue
            roots.add(out.path)
            if not _add_entry(root, out, trust_lock, cache_dir, add_file):
                missing.append((stage.name, out.path))
    for stage in stages.values():
        for dep in stage.deps:
            if not storable(dep.path) or dep.path in produced or _inside_any(dep.path, produced):
                continue
            if _is_code(dep, git_tracked):
                continue
            _add_entry(root, dep, trust_lock, cache_dir, add_file)
    for rel in (DVC_YAML, DVC_LOCK, *project.params_files(stages)):
        if storable(rel) and (root / rel).is_file():
            add_file(rel)
    return TrackedSet(files=files, roots=frozenset(roots), missing_outputs=tuple(missing))


def _add_entry(
    root: Path,
    entry: LockedPath,
    trust_lock: bool,
    cache_dir: Path | None,
    add_file: _AddFile,
) -> bool:
    """Add a lock entry's file(s); False if it is absent from the workspace."""
    full = root / entry.path
    if entry.kind == "directory" or full.is_dir():
        if not full.is_dir():
            return False
        listing: list[DirEntry] | None = None
        if trust_lock and entry.hash is not None and entry.hash_name == "md5":
            listing = read_dir_listing(cache_dir, entry.hash)
        if listing is None:
            listing = hash_directory(full)
            for item in listing:
                add_file(f"{entry.path}/{item.relpath}", item.md5)
            return True
        for item in listing:
            rel = f"{entry.path}/{item.relpath}"
            if not (root / rel).is_file():
                raise PipelineError(
                    f"{rel} is listed in directory output {entry.path} but missing from the workspace: "
                    "run 'dvc checkout' or 'dvc repro'"
                )
            add_file(rel, item.md5)
        return True
    if not full.is_file():
        return False
    trusted = entry.hash if trust_lock and entry.hash_name == "md5" and entry.hash else None
    add_file(entry.path, trusted)
    return True


def _is_code(dep: LockedPath, git_tracked: set[str]) -> bool:
    if dep.path in git_tracked:
        return True
    prefix = dep.path + "/"
    return dep.kind == "directory" and any(p.startswith(prefix) for p in git_tracked)


def _inside_any(path: str, roots: set[str]) -> bool:
    return any(path.startswith(r + "/") for r in roots)


class _AddFile(Protocol):
    def __call__(self, rel: str, md5: str | None = None) -> None: ...
