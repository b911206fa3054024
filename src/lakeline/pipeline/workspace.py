"""The workspace against the store: `checkout` a ref's files into it, `status` of what differs.

Store paths are untrusted: every one is checked (no '..', no absolute path, nothing under
.git/.dvc/.lakeline, no parent folder that is a symlink leading outside) before the first byte
is written. Local edits are never overwritten without ``force``: a file may be replaced only
if it still has the bytes lakeline last wrote or committed (`state.WorkspaceState`), already
has the incoming bytes, or is a git-tracked file identical to git's HEAD.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lakeline.errors import ConflictError, InvalidInputError, InvalidPathError, NotFoundError, PipelineError
from lakeline.names import RESERVED_PREFIX, check_object_path
from lakeline.pipeline.dvcproject import (
    DVC_DIR,
    DVC_LOCK,
    DvcProject,
    cache_checked_out_outputs,
    inspect_pipeline,
)
from lakeline.pipeline.gitrepo import modified_tracked_files, tracked_files
from lakeline.pipeline.lineage import MD5_METADATA_KEY
from lakeline.pipeline.state import FileRecord, HashCache, WorkspaceState
from lakeline.pipeline.tracking import collect
from lakeline.store.base import ObjectStats, Repository

# Top-level folders a store path may never write into: tools' own state, and git's (hooks!).
PROTECTED_FOLDERS = (".git", ".dvc", ".lakeline")


@dataclass(frozen=True)
class CheckoutResult:
    ref: str
    commit_id: str
    branch: str | None  # set when the ref was a branch (it became the current branch)
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    dvc_cached: tuple[str, ...] = ()  # stages whose outputs were handed to DVC's cache


@dataclass(frozen=True)
class WorkspaceStatus:
    branch: str
    commit_id: str
    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    stale_stages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.added or self.modified or self.deleted or self.stale_stages)


def safe_destination(root: Path, path: str) -> Path:
    """Where store path ``path`` lands in the workspace; InvalidPathError if that is unsafe."""
    try:
        check_object_path(path)
    except InvalidPathError as exc:
        raise InvalidPathError(f"refusing to write {path!r} into the workspace: {exc}") from None
    parts = path.split("/")
    if _protected(parts):
        raise InvalidPathError(
            f"refusing to write {path!r} into the workspace: {parts[0]}/ belongs to a tool, not to data"
        )
    real_root = root.resolve()
    current = root
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink():
            target = current.resolve()
            inside = target.is_relative_to(real_root)
            if not inside or _protected(target.relative_to(real_root).parts):
                raise InvalidPathError(
                    f"refusing to write {path!r}: its folder {current.relative_to(root).as_posix()} is a "
                    f"symlink to {target}, outside the workspace's data"
                )
    dest = root / path
    if not dest.parent.resolve().is_relative_to(real_root):
        raise InvalidPathError(f"refusing to write {path!r}: it would land outside {root}")
    return dest


def _protected(parts: Iterable[str]) -> bool:
    first = next(iter(parts), "")
    return first.lower() in PROTECTED_FOLDERS


def stored_files(repo: Repository, ref: str) -> dict[str, ObjectStats]:
    """Every object at ``ref`` except lakeline's own (``_lakeline/``)."""
    return {
        item.path: item
        for item in repo.list_objects(ref)
        if isinstance(item, ObjectStats) and not item.path.startswith(RESERVED_PREFIX)
    }


def checkout(
    repo: Repository,
    root: Path,
    state_dir: Path,
    ref: str,
    *,
    force: bool = False,
) -> CheckoutResult:
    """Make the workspace's tracked files those of ``ref``'s commit (see the module docstring)."""
    commit = repo.get_commit(ref)
    branch = _branch_name(repo, ref)
    target = stored_files(repo, commit.id)
    destinations = {path: safe_destination(root, path) for path in target}  # all checked first
    _check_no_file_folder_clash(target)
    state = WorkspaceState.load(state_dir)
    hashes = HashCache(root, state.files)
    git_clean = _GitClean(root)

    def replaceable(path: str) -> bool:
        if force:
            return True
        recorded = state.files.get(path)
        local = hashes.md5(path)
        return (recorded is not None and recorded.md5 == local) or git_clean.contains(path)

    conflicts: list[str] = []
    writes: list[str] = []
    kept: dict[str, FileRecord] = {}
    for path, stats in sorted(target.items()):
        dest = destinations[path]
        blocker = _blocking_file(root, path)
        if blocker is not None:
            if not replaceable(blocker):
                conflicts.append(blocker)
            writes.append(path)
            continue
        if dest.is_dir() and not dest.is_symlink():
            conflicts.append(path + "/")
            continue
        if not os.path.lexists(dest):
            writes.append(path)
            continue
        incoming = stats.metadata.get(MD5_METADATA_KEY)
        if dest.is_file() and incoming and hashes.md5(path) == incoming:
            kept[path] = hashes.record(path)
            continue
        if not force and not (dest.is_file() and replaceable(path)):
            conflicts.append(path)
        writes.append(path)
    removals = []
    for path in sorted(set(state.files) - set(target)):
        if path.startswith(RESERVED_PREFIX):
            continue
        try:
            dest = safe_destination(root, path)
        except InvalidPathError:
            continue  # never ours to touch
        if not os.path.lexists(dest) or dest.is_dir():
            continue
        if not force and not (dest.is_file() and replaceable(path)):
            conflicts.append(path)
        removals.append(path)
    if conflicts:
        shown = ", ".join(conflicts[:10]) + (
            f" (and {len(conflicts) - 10} more)" if len(conflicts) > 10 else ""
        )
        raise ConflictError(
            f"checkout of {ref!r} would overwrite local changes to {shown}: "
            "commit them ('lakeline commit') or discard them with --force"
        )

    written: dict[str, FileRecord] = {}
    for path in writes:
        dest = destinations[path]
        blocker = _blocking_file(root, path)
        if blocker is not None:
            (root / blocker).unlink()
        if dest.is_symlink() or (os.path.lexists(dest) and not dest.is_file()):
            dest.unlink()
        repo.download_object(commit.id, path, dest)
        written[path] = hashes.record(path, md5=target[path].metadata.get(MD5_METADATA_KEY))
    for path in removals:
        (root / path).unlink(missing_ok=True)
        _prune_empty_parents(root, root / path)

    files = {**kept, **written}
    for path in set(target) - set(files):
        dest = root / path
        if dest.is_file():
            files[path] = hashes.record(path)
    WorkspaceState(branch=branch, ref=ref, commit_id=commit.id, files=files).save(state_dir)
    dvc_cached: tuple[str, ...] = ()
    if writes and DvcProject.present(root) and (root / DVC_DIR).is_dir() and (root / DVC_LOCK).is_file():
        dvc_cached = cache_checked_out_outputs(root)
    return CheckoutResult(
        ref=ref,
        commit_id=commit.id,
        branch=branch,
        written=tuple(writes),
        removed=tuple(removals),
        unchanged=len(kept),
        dvc_cached=dvc_cached,
    )


def status(repo: Repository, root: Path, state_dir: Path, branch: str) -> WorkspaceStatus:
    """Tracked files added, modified or deleted in the workspace relative to ``branch``; stale stages."""
    head = repo.get_branch(branch)
    stored = stored_files(repo, branch)
    state = WorkspaceState.load(state_dir)
    hashes = HashCache(root, state.files)
    candidates: set[str] = set()
    stale: Mapping[str, tuple[str, ...]] = {}
    if DvcProject.present(root):
        project = DvcProject.open(root)
        inspection = inspect_pipeline(root)
        stale = inspection.stale
        if project.has_lock():
            tracked = collect(
                project,
                inspection.live(project.lock_stages()),
                git_tracked=tracked_files(root),
                cache_dir=inspection.cache_dir,
                trust_lock=False,
                hashes=hashes,
            )
            candidates.update(tracked.files)
    added: list[str] = []
    modified: list[str] = []
    deleted: list[str] = []
    for path in sorted(candidates | set(stored) | set(state.files)):
        local = root / path
        present = local.is_file()
        if path in stored:
            if not present:
                deleted.append(path)
            elif _local_md5_differs(repo, branch, stored[path], path, hashes):
                modified.append(path)
        elif present and path in candidates:
            added.append(path)
    return WorkspaceStatus(
        branch=branch,
        commit_id=head.commit_id,
        added=tuple(added),
        modified=tuple(modified),
        deleted=tuple(deleted),
        stale_stages=dict(stale),
    )


def _local_md5_differs(repo: Repository, ref: str, stats: ObjectStats, path: str, hashes: HashCache) -> bool:
    local = hashes.record(path)
    if local.size != stats.size_bytes:
        return True
    stored_md5 = stats.metadata.get(MD5_METADATA_KEY)
    if stored_md5 is None:  # not written by a pipeline commit: hash the stored bytes once
        import hashlib

        digest = hashlib.md5(usedforsecurity=False)
        with repo.open_object(ref, path) as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        stored_md5 = digest.hexdigest()
    return local.md5 != stored_md5


def _branch_name(repo: Repository, ref: str) -> str | None:
    try:
        return repo.get_branch(ref).name
    except (NotFoundError, InvalidInputError):  # a tag, a commit id, or an expression like main~1
        return None


def _check_no_file_folder_clash(paths: Iterable[str]) -> None:
    # An object store may hold both 'a' and 'a/b'; a file system cannot.
    files = set(paths)
    for path in sorted(files):
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent in files:
                raise InvalidPathError(
                    f"cannot materialise both {parent!r} and {path!r}: a path cannot be a file and a "
                    "folder at once; rename one of them in the store"
                )


def _blocking_file(root: Path, path: str) -> str | None:
    """A parent of ``path`` that exists as a file (it must go for the folder to be made)."""
    parts = path.split("/")
    for i in range(1, len(parts)):
        rel = "/".join(parts[:i])
        candidate = root / rel
        if candidate.is_symlink():
            return None  # vetted by safe_destination: a symlinked folder inside the workspace
        if candidate.exists() and not candidate.is_dir():
            return rel
        if not candidate.exists():
            return None
    return None


def _prune_empty_parents(root: Path, path: Path) -> None:
    folder = path.parent
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


class _GitClean:
    """Git-tracked files identical to HEAD: recoverable from git, so safe to replace."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._clean: set[str] | None = None

    def contains(self, path: str) -> bool:
        if self._clean is None:
            try:
                self._clean = tracked_files(self.root) - modified_tracked_files(self.root)
            except PipelineError:  # not a git repository: nothing is recoverable from git
                self._clean = set()
        return path in self._clean
