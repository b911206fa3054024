"""Fixtures for the CLI tests: a real project in tmp_path and an in-process `lakeline` runner.

`cli(...)` runs `lakeline.cli.main` exactly as the console script does (same error handling,
same exit codes) and captures stdout as bytes and text, and stderr as text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import Runner, run_cli

from lakeline import Project


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAKELINE_USER", "tester@example.com")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("LAKELINE_PROJECT", raising=False)
    monkeypatch.delenv("LAKELINE_DEBUG", raising=False)


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    Project.init(root).close()
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def project(project_dir: Path) -> Iterator[Project]:
    with Project.open(project_dir) as opened:
        yield opened


@pytest.fixture
def cli(capsysbinary: pytest.CaptureFixture[bytes]) -> Runner:
    return functools.partial(run_cli, capsysbinary)
