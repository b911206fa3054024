"""Fixtures for the registry tests: a real project in tmp_path and experiment commits.

`experiment(...)` commits, on a new ``exp-`` branch, a model file plus a provenance record
shaped exactly as docs/formats.md says, through the store protocol (the way a pipeline
commit stores it), so registry tests need no DVC run. The end-to-end test runs the real one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cli_runner import Runner, run_cli
from registry_support import provenance

from lakeline import Project
from lakeline.names import PROVENANCE_PATH

Experiment = Callable[..., str]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAKELINE_USER", "alice@example.com")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("LAKELINE_PROJECT", raising=False)
    monkeypatch.delenv("LAKELINE_DEBUG", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "proj"
    root.mkdir()
    Project.init(root).close()
    with Project.open(root) as opened:
        yield opened


@pytest.fixture
def experiment(project: Project) -> Experiment:
    """``experiment("lr", params={...}, metrics={...})`` -> the new branch's head commit id."""

    def make(
        name: str,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        source: str = "main",
        files: Mapping[str, bytes] | None = None,
        **record: Any,
    ) -> str:
        repo = project.repo
        branch = f"exp-{name}"
        params = dict(params or {"train.lr": 0.1})
        metrics = dict(metrics or {"accuracy": 0.9, "recall": 0.9})
        try:
            repo.get_branch(branch)
        except Exception:
            repo.create_branch(branch, source)
        rec = provenance(params=params, metrics=metrics, branch=branch, **record)
        repo.put_object(branch, "models/model.pkl", json.dumps(sorted(params.items())).encode())
        repo.put_object(branch, "metrics.json", json.dumps(metrics, sort_keys=True).encode())
        for path, data in (files or {}).items():
            repo.put_object(branch, path, data)
        repo.put_object(branch, PROVENANCE_PATH, json.dumps(rec, sort_keys=True).encode())
        meta = {
            "lakeline.kind": "pipeline",
            "lakeline.provenance": PROVENANCE_PATH,
            "lakeline.metrics": json.dumps(metrics, sort_keys=True),
        }
        return repo.commit(branch, f"train {name}", metadata=meta).id

    return make


@pytest.fixture
def policy(project: Project) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = project.root / "lakeline.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> Runner:
    """``cli("deploy", ...)``: `lakeline.cli.main` in-process, in the project folder."""
    monkeypatch.chdir(project.root)
    return functools.partial(run_cli, capsysbinary)
