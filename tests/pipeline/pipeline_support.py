"""Shared by the pipeline tests: real git, real DVC, and a tiny shell-only pipeline.

The tiny pipeline has the example's shape (a data dependency, a directory output, a model
file with a signature, metrics, an artifact) but its stages are shell one-liners, so a
`dvc repro` costs DVC's own start-up and nothing more.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from lakeline.pipeline.repro import repro_environment

REPO_ROOT = Path(__file__).resolve().parents[2]

TINY_DVC_YAML = """\
stages:
  prepare:
    cmd: >-
      mkdir -p data/prepared &&
      cp data/raw/input.csv data/prepared/all.csv &&
      echo ${prepare.rows} > data/prepared/rows.txt
    deps:
      - data/raw/input.csv
    params:
      - prepare.rows
    outs:
      - data/prepared
  train:
    cmd: >-
      mkdir -p models &&
      cat data/prepared/all.csv > models/model.bin &&
      echo ${train.lr} ${train.seed} >> models/model.bin &&
      printf '{"inputs": [{"name": "x", "dtype": "int64"}], "outputs": {"classes": [0, 1]}}'
      > models/signature.json
    deps:
      - data/prepared
      - stage.sh
    params:
      - train
    outs:
      - models/model.bin
      - models/signature.json
  evaluate:
    cmd: >-
      printf '{"accuracy": %s, "nested": {"loss": 0.25}, "note": "text"}' ${train.lr} > metrics.json
    deps:
      - models/model.bin
    params:
      - train.lr
    metrics:
      - metrics.json:
          cache: false

artifacts:
  classifier:
    path: models/model.bin
    type: model
    desc: a tiny model
    labels:
      - tiny
    meta:
      signature: models/signature.json
"""

TINY_PARAMS = {"prepare": {"rows": 3}, "train": {"lr": 0.5, "seed": 7, "random_state": 11}}


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
}


def tool_env() -> dict[str, str]:
    """PATH with this interpreter first (stage commands say `python`), a git identity, no DVC phoning home."""
    return {**repro_environment(), **GIT_IDENTITY, "DVC_NO_ANALYTICS": "1"}


def run(root: Path, *argv: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        list(argv), cwd=root, capture_output=True, text=True, env=env or tool_env(), timeout=300
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def git(root: Path, *args: str) -> str:
    return run(root, "git", *args)


def dvc(root: Path, *args: str) -> str:
    return run(root, sys.executable, "-m", "dvc", *args)


def repro(root: Path) -> None:
    dvc(root, "repro", "--quiet")


def git_init(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--initial-branch=main")


def commit_all(root: Path, message: str = "code") -> None:
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--allow-empty", "-m", message)


def write_params(root: Path, params: dict[str, Any]) -> None:
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def make_tiny_project(root: Path) -> None:
    """git + DVC project with the tiny pipeline, code committed, outputs not yet produced."""
    git_init(root)
    dvc(root, "init", "--quiet")
    dvc(root, "config", "core.analytics", "false")
    (root / "dvc.yaml").write_text(TINY_DVC_YAML, encoding="utf-8")
    write_params(root, TINY_PARAMS)
    (root / "stage.sh").write_text("# code the train stage depends on (git-tracked)\n", encoding="utf-8")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "input.csv").write_text("x,y\n1,0\n2,1\n", encoding="utf-8")
    # Raw data is DVC's/lakeline's business, not git's.
    (root / ".gitignore").write_text("/data/raw/\n", encoding="utf-8")
    commit_all(root, "tiny pipeline")


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def read_lock(root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8"))
    return loaded


def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """The test's own flattening of nested params (independent of lakeline's)."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flat(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def expected_lineage(lock: dict[str, Any]) -> list[dict[str, Any]]:
    """Edges as docs/formats.md defines them, computed straight from dvc.lock's YAML."""
    edges = []
    for stage, body in lock["stages"].items():
        sources = []
        for dep in body.get("deps", []):
            kind = "directory" if dep["md5"].endswith(".dir") else "file"
            sources.append((dep["path"], dep["md5"], kind))
        for file, values in (body.get("params") or {}).items():
            for key, value in flat(values).items():
                sources.append(
                    (f"{file}:{key}", json.dumps(value, sort_keys=True, separators=(",", ":")), "param")
                )
        for out in body.get("outs", []):
            for src_path, src_hash, src_kind in sources:
                edges.append(
                    {
                        "stage": stage,
                        "src_path": src_path,
                        "src_hash": src_hash,
                        "src_kind": src_kind,
                        "dst_path": out["path"],
                        "dst_hash": out["md5"],
                    }
                )
    return edges


def workspace_files(root: Path, paths: list[str]) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for p in paths}


def environment_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}
