"""Fixtures for the pipeline tests: real git + DVC projects in tmp_path, built once and copied.

`tiny_template` (per worker) is a git repository with DVC, the tiny pipeline reproduced and a
lakeline project; `tiny` gives each test its own copy, so tests never share mutable state.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_support import GIT_IDENTITY, make_tiny_project, repro

from lakeline import Project


@pytest.fixture(scope="session")
def mpl_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One matplotlib font cache per worker, instead of one per test's fresh HOME.
    return tmp_path_factory.mktemp("mplconfig")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mpl_config: Path) -> None:
    monkeypatch.setenv("LAKELINE_USER", "tester@example.com")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLCONFIGDIR", str(mpl_config))
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("COLUMNS", "200")
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("LAKELINE_PROJECT", raising=False)
    monkeypatch.delenv("LAKELINE_DEBUG", raising=False)


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny-template") / "proj"
    make_tiny_project(root)
    Project.init(root).close()
    repro(root)
    return root


@pytest.fixture
def tiny_root(tiny_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(tiny_template, root, symlinks=True)
    return root


@pytest.fixture
def tiny(tiny_root: Path) -> Iterator[Project]:
    with Project.open(tiny_root) as project:
        yield project
