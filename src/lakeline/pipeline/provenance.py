"""The provenance record of a pipeline commit (docs/formats.md) and its commit-metadata summary.

`build_record` assembles it from what was read elsewhere (dvc.lock, params, metrics, git,
environment); `encode` gives the stored bytes; `read_provenance` reads a ref's record back.
Nobody types any of it, and nothing secret goes in: no environment variables, no git remotes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakeline.errors import CorruptObjectError, NotFoundError, PipelineError
from lakeline.names import PROVENANCE_PATH
from lakeline.pipeline.dvcproject import LockedStage, read_structured
from lakeline.pipeline.gitrepo import GitState
from lakeline.pipeline.lineage import lineage_edges, stage_graph
from lakeline.store.base import Repository

SCHEMA = "lakeline.provenance/1"
SEED_MARKERS = ("seed", "random_state")

KIND_KEY = "lakeline.kind"
KIND_PIPELINE = "pipeline"
PROVENANCE_KEY = "lakeline.provenance"
GIT_COMMIT_KEY = "lakeline.git_commit"
GIT_DIRTY_KEY = "lakeline.git_dirty"
USER_KEY = "lakeline.user"
METRICS_KEY = "lakeline.metrics"
STALE_KEY = "lakeline.stale"  # only on commits made with --allow-stale over stale stages


def utc_timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seeds_from_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params that seed randomness: keys containing 'seed' or 'random_state' (any case)."""
    return {k: v for k, v in params.items() if any(m in k.lower() for m in SEED_MARKERS)}


def artifact_records(
    root: Path, artifacts: Mapping[str, Mapping[str, Any]], stages: Mapping[str, LockedStage]
) -> dict[str, Any]:
    """dvc.yaml's artifacts with their dvc.lock hash and the signature file's content inlined."""
    hashes = {out.path: out.hash for stage in stages.values() for out in stage.outs}
    records: dict[str, Any] = {}
    for name, spec in artifacts.items():
        record = dict(spec)
        record["hash"] = hashes.get(str(spec["path"]))
        record["signature"] = _signature(root, name, spec.get("meta") or {})
        records[name] = record
    return records


def _signature(root: Path, artifact: str, meta: Mapping[str, Any]) -> Any:
    rel = meta.get("signature")
    if not isinstance(rel, str) or not rel:
        return None
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise PipelineError(
            f"artifact {artifact!r}: meta.signature {rel!r} points outside the project; use a path inside it"
        )
    if not path.is_file():
        raise PipelineError(
            f"artifact {artifact!r}: signature file {rel} is missing; run 'dvc repro' to produce it"
        )
    return read_structured(path, f"signature file of artifact {artifact!r}", root=root)


def build_record(
    *,
    message: str,
    user: str,
    branch: str,
    git: GitState,
    stages: Mapping[str, LockedStage],
    params: Mapping[str, Any],
    metrics: Mapping[str, Any],
    environment: Mapping[str, Any],
    artifacts: Mapping[str, Any],
    time: str | None = None,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "message": message,
        "user": user,
        "time": time or utc_timestamp(),
        "branch": branch,
        "git": git.as_record(),
        "stages": stage_graph(stages),
        "params": dict(params),
        "metrics": dict(metrics),
        "seeds": seeds_from_params(params),
        "environment": dict(environment),
        "artifacts": dict(artifacts),
        "lineage": [edge.as_record() for edge in lineage_edges(stages)],
    }


def encode(record: Mapping[str, Any]) -> bytes:
    """The stored form: UTF-8 JSON, keys sorted (so equal records are equal bytes)."""
    return (json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n").encode()


def summary_metadata(record: Mapping[str, Any]) -> dict[str, str]:
    """The commit metadata every pipeline commit carries (all values strings)."""
    git = record.get("git") or {}
    return {
        KIND_KEY: KIND_PIPELINE,
        PROVENANCE_KEY: PROVENANCE_PATH,
        GIT_COMMIT_KEY: str(git.get("commit") or ""),
        GIT_DIRTY_KEY: "true" if git.get("dirty") else "false",
        USER_KEY: str(record.get("user", "")),
        METRICS_KEY: json.dumps(record.get("metrics") or {}, sort_keys=True, separators=(",", ":")),
    }


def decode(data: bytes, where: str) -> dict[str, Any]:
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CorruptObjectError(f"provenance record at {where} is not valid JSON") from None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise CorruptObjectError(f"provenance record at {where} is not a {SCHEMA} record")
    return record


def read_provenance(repo: Repository, ref: str) -> dict[str, Any] | None:
    """The provenance record as of ``ref`` (the last pipeline commit in its history), or None."""
    try:
        data = repo.get_object(ref, PROVENANCE_PATH)
    except NotFoundError:
        repo.get_commit(ref)  # an unknown ref stays an error; a ref without a record is None
        return None
    return decode(data, f"{ref}:{PROVENANCE_PATH}")


def comparable(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without who/when/why: equal for two commits of the same pipeline state."""
    return {k: v for k, v in record.items() if k not in ("message", "user", "time", "branch")}
