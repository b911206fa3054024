"""Fixtures for the CLI tests: a real project in tmp_path and an in-process `lakeline` runner.

`cli(...)` runs `lakeline.cli.main` exactly as the console script does (same error handling,
same exit codes) and captures stdout as bytes and text, and stderr as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Result, Runner

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
    from lakeline.cli import main

    def run(*args: str) -> Result:
        capsysbinary.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsysbinary.readouterr()
        return Result(code, captured.out, captured.err.decode("utf-8", errors="replace"))

    return run
