"""Commits: a pipeline commit (DVC outputs + provenance) or a plain commit of staged changes.

A pipeline commit refuses a stale pipeline, uploads only files whose MD5 differs from the
``md5`` metadata of the stored object, deletes stored files of outputs that no longer exist,
writes the provenance record and commits with its summary as metadata. If anything fails
before the commit lands, the paths it staged are reset, so the branch is left as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeline.errors import InvalidInputError, LakelineError, NoChangesError, PipelineError
from lakeline.names import PROVENANCE_PATH
from lakeline.pipeline.dvcproject import DvcProject, inspect_pipeline
from lakeline.pipeline.environment import capture_environment
from lakeline.pipeline.gitrepo import git_state, require_git, tracked_files
from lakeline.pipeline.lineage import MD5_METADATA_KEY
from lakeline.pipeline.provenance import (
    STALE_KEY,
    artifact_records,
    build_record,
    comparable,
    encode,
    read_provenance,
    summary_metadata,
)
from lakeline.pipeline.state import FileRecord, HashCache, WorkspaceState
from lakeline.pipeline.tracking import TrackedFile, TrackedSet, collect
from lakeline.store.base import ObjectStats, Repository, Upload
from lakeline.transfer import check_metadata

_RESERVED_META = "lakeline."


@dataclass(frozen=True)
class CommitResult:
    commit_id: str
    branch: str
    kind: str  # "pipeline" or "plain"
    message: str
    uploaded: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    unchanged: int = 0
    metrics: Mapping[str, Any] = field(default_factory=dict)
    stale_stages: tuple[str, ...] = ()


def check_user_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """The user's commit metadata: object-metadata rules, and no keys in lakeline's namespace."""
    checked = check_metadata(metadata)
    for key in checked:
        if key.startswith(_RESERVED_META):
            raise InvalidInputError(
                f"invalid metadata key {key!r}: keys starting 'lakeline.' are lakeline's own; pick another"
            )
    return checked


def plain_commit(
    repo: Repository,
    branch: str,
    message: str,
    *,
    metadata: Mapping[str, str] | None = None,
    allow_empty: bool = False,
) -> CommitResult:
    """Commit whatever is staged on ``branch`` (no DVC pipeline involved)."""
    _check_message(message)
    commit = repo.commit(branch, message, metadata=check_user_metadata(metadata), allow_empty=allow_empty)
    return CommitResult(commit_id=commit.id, branch=branch, kind="plain", message=message)


def pipeline_commit(
    repo: Repository,
    root: Path,
    state_dir: Path,
    *,
    branch: str,
    message: str,
    user: str,
    metadata: Mapping[str, str] | None = None,
    allow_empty: bool = False,
    allow_stale: bool = False,
) -> CommitResult:
    """Stage the pipeline's outputs, params and DVC files on ``branch`` and commit with provenance."""
    _check_message(message)
    user_meta = check_user_metadata(metadata)
    project = DvcProject.open(root)
    require_git(root)
    repo.get_branch(branch)  # NotFoundError before any work
    locked = project.lock_stages()
    params = project.params(locked)
    inspection = inspect_pipeline(root)
    stages = inspection.live(locked)
    state = WorkspaceState.load(state_dir)
    hashes = HashCache(root, state.files)
    tracked = collect(
        project,
        stages,
        git_tracked=tracked_files(root),
        cache_dir=inspection.cache_dir,
        trust_lock=not inspection.stale,
        hashes=hashes,
    )
    if tracked.missing_outputs:
        shown = ", ".join(f"{path} (stage {stage})" for stage, path in tracked.missing_outputs[:10])
        raise PipelineError(f"pipeline outputs missing from the workspace: {shown}: run 'dvc repro' first")
    if inspection.stale and not allow_stale:
        shown = "; ".join(f"{name}: {', '.join(why)}" for name, why in inspection.stale.items())
        raise PipelineError(
            f"pipeline is stale, stages {', '.join(inspection.stale)} need 'dvc repro' ({shown}); "
            "run 'dvc repro' first, or commit anyway with --allow-stale"
        )
    record = build_record(
        message=message,
        user=user,
        branch=branch,
        git=git_state(root),
        stages=stages,
        params=params,
        metrics=project.metrics(inspection.metric_paths),
        environment=capture_environment(),
        artifacts=artifact_records(root, project.artifacts(), stages),
    )

    previous = read_provenance(repo, branch)
    roots = set(tracked.roots) | _previous_output_roots(previous)
    existing = _stored(repo, branch, roots | set(tracked.files))
    uploads = [f for f in tracked.files.values() if _needs_upload(f, existing.get(f.path))]
    deletions = sorted(p for p in existing if p not in tracked.files and _under_any(p, roots))
    unchanged = len(tracked.files) - len(uploads)
    if not uploads and not deletions and not allow_empty:
        same = previous is not None and comparable(previous) == comparable(record)
        if same and not any(True for _ in repo.diff_uncommitted(branch)):
            raise NoChangesError(
                f"nothing to commit on branch {branch!r}: outputs, params and provenance match its head "
                "(change something and 'dvc repro', or use --allow-empty)"
            )

    commit_meta = {**user_meta, **summary_metadata(record)}
    if inspection.stale:
        commit_meta[STALE_KEY] = ",".join(inspection.stale)
    touched = [f.path for f in uploads] + deletions + [PROVENANCE_PATH]
    try:
        if uploads:
            repo.put_objects(
                branch,
                [Upload(f.path, root / f.path, metadata={MD5_METADATA_KEY: f.md5}) for f in uploads],
            )
        if deletions:
            repo.delete_objects(branch, deletions)
        repo.put_object(branch, PROVENANCE_PATH, encode(record), content_type="application/json")
        commit = repo.commit(branch, message, metadata=commit_meta, allow_empty=allow_empty)
    except BaseException:
        _unstage(repo, branch, touched)
        raise

    _record_state(state, state_dir, branch, commit.id, tracked, deletions, hashes)
    return CommitResult(
        commit_id=commit.id,
        branch=branch,
        kind="pipeline",
        message=message,
        uploaded=tuple(f.path for f in uploads),
        deleted=tuple(deletions),
        unchanged=unchanged,
        metrics=dict(record["metrics"]),
        stale_stages=tuple(inspection.stale),
    )


def _check_message(message: str) -> None:
    if not message or not message.strip():
        raise InvalidInputError("a commit needs a message: pass -m MESSAGE")


def _previous_output_roots(previous: Mapping[str, Any] | None) -> set[str]:
    roots: set[str] = set()
    for stage in ((previous or {}).get("stages") or {}).values():
        for out in (stage or {}).get("outs") or []:
            path = out.get("path") if isinstance(out, dict) else None
            if isinstance(path, str) and path:
                roots.add(path)
    return roots


def _stored(repo: Repository, branch: str, paths: set[str]) -> dict[str, ObjectStats]:
    """Objects on ``branch`` at each path or under it (as a directory)."""
    found: dict[str, ObjectStats] = {}
    for query in _covering(paths):
        for item in repo.list_objects(branch, prefix=query):
            if isinstance(item, ObjectStats) and (item.path == query or item.path.startswith(query + "/")):
                found[item.path] = item
    return found


def _covering(paths: set[str]) -> list[str]:
    """The paths not inside another path of the set (one listing each covers the rest)."""
    kept: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(k + "/") for k in kept):
            kept.append(path)
    return kept


def _needs_upload(file: TrackedFile, stored: ObjectStats | None) -> bool:
    if stored is None:
        return True
    return stored.metadata.get(MD5_METADATA_KEY) != file.md5 or stored.size_bytes != file.size


def _under_any(path: str, roots: set[str]) -> bool:
    return path in roots or any(path.startswith(r + "/") for r in roots)


def _unstage(repo: Repository, branch: str, paths: list[str]) -> None:
    for path in paths:
        try:
            repo.reset_branch(branch, path)
        except LakelineError:
            continue  # best effort: the commit did not land either way


def _record_state(
    state: WorkspaceState,
    state_dir: Path,
    branch: str,
    commit_id: str,
    tracked: TrackedSet,
    deletions: list[str],
    hashes: HashCache,
) -> None:
    files: dict[str, FileRecord] = {p: r for p, r in state.files.items() if p not in deletions}
    for path, file in tracked.files.items():
        files[path] = hashes.record(path, md5=file.md5)
    WorkspaceState(branch=branch, ref=branch, commit_id=commit_id, files=files).save(state_dir)
