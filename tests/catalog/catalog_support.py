"""Builders for catalog tests: pipeline commits and registry events written through the store
protocol exactly as docs/formats.md describes them, plus a table snapshot for comparisons.

A pipeline commit here is what `lakeline commit` stores after ``dvc repro`` of a two-stage
pipeline (prepare: raw -> prepared, train: prepared -> model): the data, the model, and a
provenance record whose hashes are the MD5s of those bytes (DVC's file hash).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lakeline.errors import NotFoundError
from lakeline.names import PROVENANCE_PATH, REGISTRY_BRANCH
from lakeline.store.base import Repository

RAW = "data/raw/users.csv"
PREPARED = "data/prepared/train.parquet"
MODEL = "models/model.pkl"
EVENTS_PREFIX = "_lakeline/events/"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@dataclass(frozen=True)
class PipelineCommit:
    commit_id: str
    raw_hash: str
    prepared_hash: str
    model_hash: str


def prepared_bytes(raw: bytes, test_size: float) -> bytes:
    return b"prepared|" + raw + f"|{test_size}".encode()


def model_bytes(prepared: bytes, lr: float) -> bytes:
    return b"model|" + hashlib.sha256(prepared).digest() + f"|{lr}".encode()


def pipeline_record(
    *,
    raw: bytes,
    lr: float,
    test_size: float = 0.2,
    metrics: Mapping[str, Any] | None = None,
    user: str = "alice@example.com",
    message: str = "train",
    branch: str = "main",
    git_commit: str = "a" * 40,
    extra_params: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The provenance record and the files of one run of the two-stage pipeline."""
    prepared = prepared_bytes(raw, test_size)
    model = model_bytes(prepared, lr)
    h_raw, h_prep, h_model = md5(raw), md5(prepared), md5(model)
    params = {"prepare.test_size": test_size, "train.lr": lr, "train.seed": 42, **(extra_params or {})}
    record = {
        "schema": "lakeline.provenance/1",
        "message": message,
        "user": user,
        "time": "2026-11-23T10:00:00Z",
        "branch": branch,
        "git": {"commit": git_commit, "dirty": False, "branch": "main"},
        "stages": {
            "prepare": {
                "cmd": "python scripts/prepare.py",
                "deps": [{"path": RAW, "hash": h_raw, "kind": "file"}],
                "params": {"params.yaml": {"prepare.test_size": test_size}},
                "outs": [{"path": PREPARED, "hash": h_prep, "kind": "file", "size": len(prepared)}],
            },
            "train": {
                "cmd": "python scripts/train.py",
                "deps": [{"path": PREPARED, "hash": h_prep, "kind": "file"}],
                "params": {"params.yaml": {"train.lr": lr, "train.seed": 42}},
                "outs": [{"path": MODEL, "hash": h_model, "kind": "file", "size": len(model)}],
            },
        },
        "params": params,
        "metrics": dict(metrics or {"accuracy": 0.9, "recall": 0.8}),
        "seeds": {"train.seed": 42},
        "environment": {"python": "3.11.7", "packages": {"lakeline": "0.1.0"}},
        "artifacts": {
            "classifier": {
                "path": MODEL,
                "type": "model",
                "desc": "breast cancer classifier",
                "labels": ["sklearn", "tabular"],
                "meta": {"signature": "models/signature.json"},
                "hash": h_model,
                "signature": {"inputs": [{"name": "f0", "dtype": "float64"}], "outputs": {"classes": [0, 1]}},
            }
        },
        "lineage": [
            _edge("prepare", RAW, h_raw, "file", PREPARED, h_prep),
            _edge(
                "prepare", "params.yaml:prepare.test_size", json.dumps(test_size), "param", PREPARED, h_prep
            ),
            _edge("train", PREPARED, h_prep, "file", MODEL, h_model),
            _edge("train", "params.yaml:train.lr", json.dumps(lr), "param", MODEL, h_model),
            _edge("train", "params.yaml:train.seed", "42", "param", MODEL, h_model),
        ],
    }
    return record, {RAW: raw, PREPARED: prepared, MODEL: model}


def _edge(stage: str, src: str, src_hash: str, kind: str, dst: str, dst_hash: str) -> dict[str, str]:
    return {
        "stage": stage,
        "src_path": src,
        "src_hash": src_hash,
        "src_kind": kind,
        "dst_path": dst,
        "dst_hash": dst_hash,
    }


def pipeline_commit(repo: Repository, branch: str, *, raw: bytes, lr: float, **kw: Any) -> PipelineCommit:
    """Stage the pipeline's files and provenance on ``branch`` and commit them like lakeline does."""
    message = kw.pop("message", f"train lr={lr}")
    record, files = pipeline_record(raw=raw, lr=lr, message=message, branch=branch, **kw)
    for path, data in files.items():
        repo.put_object(branch, path, data)
    repo.put_object(branch, PROVENANCE_PATH, (json.dumps(record, sort_keys=True, indent=2) + "\n").encode())
    metadata = {
        "lakeline.kind": "pipeline",
        "lakeline.provenance": PROVENANCE_PATH,
        "lakeline.git_commit": record["git"]["commit"],
        "lakeline.git_dirty": "false",
        "lakeline.user": record["user"],
        "lakeline.metrics": json.dumps(record["metrics"], sort_keys=True, separators=(",", ":")),
    }
    commit = repo.commit(branch, message, metadata=metadata)
    return PipelineCommit(commit.id, md5(files[RAW]), md5(files[PREPARED]), md5(files[MODEL]))


@dataclass
class EventWriter:
    """Appends registry events (docs/formats.md) as commits on ``lakeline-registry``."""

    repo: Repository
    start: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    count: int = 0

    def __call__(
        self,
        type_: str,
        model: str,
        version: str | None,
        details: Mapping[str, Any] | None = None,
        *,
        user: str = "alice@example.com",
        reason: str = "",
    ) -> str:
        self._ensure_branch()
        self.count += 1
        moment = self.start + timedelta(minutes=self.count)
        event_id = hashlib.md5(f"event-{self.count}-{type_}-{model}".encode()).hexdigest()
        record = {
            "schema": "lakeline.event/1",
            "id": event_id,
            "type": type_,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "user": user,
            "model": model,
            "version": version,
            "reason": reason,
            "details": dict(details or {}),
        }
        path = f"{EVENTS_PREFIX}{moment.strftime('%Y%m%dT%H%M%S%fZ')}-{event_id}.json"
        self.repo.put_object(REGISTRY_BRANCH, path, json.dumps(record, sort_keys=True).encode())
        metadata = {"lakeline.kind": "event", "lakeline.event": type_, "lakeline.event_id": event_id}
        self.repo.commit(REGISTRY_BRANCH, f"{type_} {model} {version}", metadata=metadata)
        return event_id

    def _ensure_branch(self) -> None:
        try:
            self.repo.get_branch(REGISTRY_BRANCH)
        except NotFoundError:
            root = list(self.repo.log("main", first_parent=True))[-1].id
            self.repo.create_branch(REGISTRY_BRANCH, root)


def snapshot(
    db: Path, *, ignore: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Every catalog table and view as sorted rows (columns in ``ignore`` left out; a table
    whose ignored columns are ``("*",)`` is left out whole)."""
    import duckdb

    from lakeline.catalog import schema

    ignore = dict(ignore or {})
    out: dict[str, list[tuple[Any, ...]]] = {}
    conn = duckdb.connect(str(db), read_only=True)
    try:
        for table in schema.TABLES:
            if ignore.get(table.name) == ("*",):
                continue
            cols = [c for c in table.column_names if c not in ignore.get(table.name, ())]
            select = ", ".join(f'"{c}"::VARCHAR' for c in cols)
            rows = conn.execute(f"SELECT {select} FROM {table.name}").fetchall()
            out[table.name] = sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))
    finally:
        conn.close()
    return out


# Columns that legitimately differ between an incremental catalog and a rebuilt one.
VOLATILE = {
    "catalog_info": ("value",),
    "commits": ("seq",),
    "lineage_edges": ("seq",),
}
# How trees are stored (whole or as deltas) depends on tuning; the `objects` view may not.
STORAGE = {**VOLATILE, "trees": ("*",), "tree_entries": ("*",)}
