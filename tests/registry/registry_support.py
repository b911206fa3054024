"""Records for the registry tests: provenance shaped exactly as docs/formats.md says."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SIGNATURE = {
    "inputs": [{"name": "f0", "dtype": "float64"}, {"name": "f1", "dtype": "float64"}],
    "outputs": {"classes": [0, 1]},
}


def provenance(
    *,
    params: Mapping[str, Any],
    metrics: Mapping[str, Any],
    data_hash: str = "d" * 32,
    signature: Mapping[str, Any] | None = None,
    models: tuple[str, ...] = ("classifier",),
    eval_hash: str = "e" * 32,
    branch: str = "exp",
) -> dict[str, Any]:
    """A provenance record: prepare -> train -> evaluate, params feeding train."""
    sig = dict(signature if signature is not None else SIGNATURE)
    model_hash = "m" + json.dumps(sorted(params.items())).encode().hex()[:31]
    lineage: list[dict[str, Any]] = [
        {
            "stage": "prepare",
            "src_path": "data/raw.csv",
            "src_hash": data_hash,
            "src_kind": "file",
            "dst_path": "data/prepared",
            "dst_hash": data_hash[::-1] + ".dir",
        },
        {
            "stage": "train",
            "src_path": "data/prepared",
            "src_hash": data_hash[::-1] + ".dir",
            "src_kind": "directory",
            "dst_path": "models/model.pkl",
            "dst_hash": model_hash,
        },
        {
            "stage": "train",
            "src_path": "scripts/train.py",
            "src_hash": "c" * 32,
            "src_kind": "file",
            "dst_path": "models/model.pkl",
            "dst_hash": model_hash,
        },
        {
            "stage": "evaluate",
            "src_path": "models/model.pkl",
            "src_hash": model_hash,
            "src_kind": "file",
            "dst_path": "metrics.json",
            "dst_hash": eval_hash,
        },
    ]
    for key, value in params.items():
        stage = key.split(".")[0]
        dst = "models/model.pkl" if stage == "train" else "metrics.json"
        lineage.append(
            {
                "stage": stage,
                "src_path": f"params.yaml:{key}",
                "src_hash": json.dumps(value),
                "src_kind": "param",
                "dst_path": dst,
                "dst_hash": model_hash,
            }
        )
    artifacts = {
        name: {
            "path": "models/model.pkl" if name == "classifier" else f"models/{name}.pkl",
            "type": "model",
            "desc": f"{name} model",
            "labels": [],
            "meta": {},
            "hash": model_hash,
            "signature": sig,
        }
        for name in models
    }
    return {
        "schema": "lakeline.provenance/1",
        "message": "train",
        "user": "alice@example.com",
        "time": "2026-11-23T10:00:00Z",
        "branch": branch,
        "git": {"commit": "0" * 40, "dirty": False, "branch": "main"},
        "stages": {},
        "params": dict(params),
        "metrics": dict(metrics),
        "seeds": {},
        "environment": {},
        "artifacts": artifacts,
        "lineage": lineage,
    }
