"""Fixtures for the catalog tests: a real project in tmp_path and an in-process CLI runner.

Projects use the embedded store unless a test asks for `lakefs_project`, which runs the same
project against the lakeFS-API test server (tests/lakefs_server) through the lakeFS backend.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import Runner, run_cli

from lakeline import Project


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAKELINE_USER", "alice@example.com")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("LAKELINE_PROJECT", raising=False)
    monkeypatch.delenv("LAKELINE_DEBUG", raising=False)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    Project.init(root).close()
    return root


@pytest.fixture
def project(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    monkeypatch.chdir(project_dir)
    with Project.open(project_dir) as opened:
        yield opened


@pytest.fixture(scope="module")
def lakefs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.lakefs_server.server import LakeFSTestServer

    server = LakeFSTestServer(tmp_path_factory.mktemp("lakefs-catalog")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lakefs_project(lakefs_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", lakefs_server.access_key_id)
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", lakefs_server.secret_access_key)
    root = tmp_path / "lproj"
    root.mkdir()
    repo = f"cat-{tmp_path.name[-20:].lower().replace('_', '-')}".rstrip("-")
    Project.init(root, backend="lakefs", repository=repo, options={"endpoint": lakefs_server.url}).close()
    monkeypatch.chdir(root)
    with Project.open(root) as opened:
        yield opened


@pytest.fixture
def cli(capsysbinary: pytest.CaptureFixture[bytes]) -> Runner:
    """Runs `lakeline.cli.main` as the console script does (same error handling and exit codes)."""
    return functools.partial(run_cli, capsysbinary)
