"""The CLI's contract with its users: help everywhere, docs in step, cheap start-up, clean errors.

These tests walk the whole typer app, so they hold every command (including ones added later
by other areas) to the same rules: help text on each command, argument and option; `--json`
on every command; an entry in docs/cli.md; one `lakeline: error: ...` line for bad input.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cli_runner import Runner

import lakeline
from lakeline import Project

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY_MODULES = ("duckdb", "pyarrow", "lakefs_sdk", "dvc", "sklearn", "pandas")


def _gen_cli_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO_ROOT / "scripts" / "gen_cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands() -> Iterator[tuple[str, Any, Any]]:
    """(command path, click command, context) for every visible command, groups included."""
    import typer.main

    from lakeline.cli import app

    docs = _gen_cli_docs()
    root = typer.main.get_command(app)
    for command, ctx in docs.walk(root, root.context_class(root, info_name="lakeline")):
        yield ctx.command_path, command, ctx


COMMANDS = list(_commands())
LEAVES = [(path, cmd, ctx) for path, cmd, ctx in COMMANDS if not getattr(cmd, "commands", None)]


# --- help and docs ----------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "command", "ctx"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_argument_and_option_has_help(path: str, command: Any, ctx: Any) -> None:
    assert (command.help or "").strip(), f"{path} has no help text (give the function a docstring)"
    for param in command.params:
        if param.name == "help":
            continue
        assert (getattr(param, "help", None) or "").strip(), f"{path}: parameter {param.name!r} has no help"


@pytest.mark.parametrize(("path", "command", "ctx"), LEAVES, ids=[c[0] for c in LEAVES])
def test_every_command_takes_json(path: str, command: Any, ctx: Any) -> None:
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert "--json" in options, f"{path} has no --json option (use lakeline.cli.output.JsonOpt)"


def test_cli_reference_is_up_to_date() -> None:
    expected = _gen_cli_docs().render()
    current = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == expected, "docs/cli.md is out of date: run .venv/bin/python scripts/gen_cli_docs.py"


def test_every_command_and_option_appears_in_the_cli_reference() -> None:
    text = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    sections = {s.split("\n", 1)[0]: s for s in text.split("\n## ")[1:]}
    for path, command, _ in COMMANDS:
        assert path in sections, f"{path} missing from docs/cli.md: run scripts/gen_cli_docs.py"
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if param.param_type_name == "option" and opt != "--help":
                    assert opt in sections[path], f"{path} {opt} missing from docs/cli.md"


def test_every_command_help_page_renders(cli: Runner) -> None:
    for path, _, _ in COMMANDS:
        result = cli(*path.split()[1:], "--help")
        assert result.code == 0, (path, result.stderr)
        assert "Usage:" in result.stdout


# --- public surface and start-up cost ---------------------------------------------------------
def test_public_api_is_pinned() -> None:
    assert lakeline.__all__ == ["LakelineError", "Project", "__version__"]
    for name in lakeline.__all__:
        assert hasattr(lakeline, name)


def test_importing_the_cli_loads_no_heavy_module() -> None:
    code = (
        "import sys, lakeline.cli\n"
        f"heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "", f"import lakeline.cli loaded heavy modules: {out.strip()} (import them lazily)"


def test_help_runs_as_a_real_process() -> None:
    lakeline_bin = Path(sys.executable).with_name("lakeline")
    argv = [str(lakeline_bin)] if lakeline_bin.exists() else [sys.executable, "-m", "lakeline"]
    result = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "branch" in result.stdout and "fs" in result.stdout


# --- bad input: exactly one error line, non-zero exit, no traceback ---------------------------
@pytest.fixture
def seeded(project: Project, tmp_path: Path) -> Project:
    project.repo.put_object("main", "data/a.csv", b"a,b\n")
    project.repo.commit("main", "seed")
    project.tag_create("v1", "main")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("secret")
    (tmp_path / "ds").mkdir()
    os.symlink(tmp_path / "outside" / "secret", tmp_path / "ds" / "leak")
    return project


BAD_INPUT = {
    "invalid branch name": ["branch", "create", "bad/name"],
    "invalid branch name with dot": ["branch", "create", "bad.name"],
    "branch is a commit id": ["branch", "create", "a" * 64],
    "invalid tag name": ["tag", "create", "bad..tag", "main"],
    "unknown ref in log": ["log", "nowhere"],
    "malformed ref": ["log", "main~~x"],
    "unknown ref in diff": ["diff", "main", "nowhere"],
    "unknown source of merge": ["merge", "nowhere", "main"],
    "unknown commit to revert": ["revert", "main", "deadbeef"],
    "unknown branch to delete": ["branch", "delete", "nowhere"],
    "tag exists": ["tag", "create", "v1", "main"],
    "missing object": ["fs", "cat", "main/data/missing.csv"],
    "missing ref in path": ["fs", "cat", "/data/a.csv"],
    "path with dot-dot": ["fs", "cat", "main/../etc/passwd"],
    "path with empty part": ["fs", "stat", "main/data//a.csv"],
    "other repository URI": ["fs", "ls", "lakefs://someone-else/main/"],
    "malformed URI": ["fs", "ls", "lakefs://"],
    "missing local file": ["fs", "upload", "{tmp}/no-such-file", "main/x"],
    "upload escaping its folder": ["fs", "upload", "{tmp}/ds", "main/ds"],
    "write to a tag": ["fs", "upload", "{tmp}/outside/secret", "v1/x"],
    "download of unsafe prefix": ["fs", "download", "main/../", "{tmp}/dl"],
    "bad metadata": ["fs", "upload", "{tmp}/outside/secret", "main/x", "--meta", "nokey"],
    "bad merge strategy": ["merge", "v1", "main", "--strategy", "theirs"],
    "negative amount": ["log", "-n", "-3"],
}


@pytest.mark.parametrize("argv", list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_is_one_error_line_and_a_non_zero_exit(
    cli: Runner, seeded: Project, tmp_path: Path, argv: list[str]
) -> None:
    head = seeded.repo.get_branch("main").commit_id
    result = cli(*(arg.replace("{tmp}", str(tmp_path)) for arg in argv))
    message = result.error_line()
    assert "unexpected" not in message, f"not a LakelineError: {message}"
    assert result.stdout == ""
    assert seeded.repo.get_branch("main").commit_id == head
    assert list(seeded.repo.diff_uncommitted("main")) == []
    assert not (tmp_path / "dl").exists()


def test_a_real_process_prints_one_error_line(project_dir: Path) -> None:
    env = {**os.environ, "LAKELINE_PROJECT": str(project_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "lakeline", "branch", "create", "no/slashes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "lakeline: error: invalid branch name 'no/slashes': use letters, digits, '_' and '-' "
        "(no '/', '.' or spaces), not starting with '-'"
    ]


@pytest.mark.parametrize(
    "argv",
    [["branch", "create"], ["fs", "ls", "--no-such-option"], ["merge"], ["log", "-n", "many"]],
    ids=["missing argument", "unknown option", "missing source", "non-integer"],
)
def test_usage_errors_exit_non_zero_without_traceback(cli: Runner, project: Project, argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "a usage error must say what is wrong"


def test_usage_errors_are_reported_as_usage_errors_not_bugs(cli: Runner, project: Project) -> None:
    result = cli("fs", "ls", "--no-such-option")
    assert "this is a bug" not in result.stderr
    assert result.code == 2
