"""Experiments (exp-NAME branches) through the API and the `lakeline` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pipeline_support import git, repro, write_params

from lakeline import Project
from lakeline.errors import AlreadyExistsError, InvalidInputError, InvalidNameError, NotFoundError

CliRun = Callable[..., tuple[int, str, str]]


def test_exp_new_branches_from_main_copies_nothing_and_becomes_current(tiny: Project) -> None:
    base = tiny.commit("base")
    before = sorted(p.name for p in tiny.root.rglob("*") if ".lakeline" not in p.parts)
    experiment = tiny.exp_new("lr-small")
    assert experiment.branch == "exp-lr-small"
    assert experiment.commit_id == base.commit_id
    assert experiment.current
    assert tiny.current_branch == "exp-lr-small"
    assert sorted(p.name for p in tiny.root.rglob("*") if ".lakeline" not in p.parts) == before


def test_exp_new_from_another_ref(tiny: Project) -> None:
    first = tiny.commit("first").commit_id
    write_params(tiny.root, {"prepare": {"rows": 3}, "train": {"lr": 0.3, "seed": 7, "random_state": 11}})
    repro(tiny.root)
    tiny.commit("second")
    assert tiny.exp_new("from-first", from_ref=first).commit_id == first


def test_exp_new_with_git_also_switches_git_branch(tiny: Project) -> None:
    tiny.exp_new("gitted", git=True)
    assert git(tiny.root, "branch", "--show-current").strip() == "exp-gitted"


def test_exp_new_with_git_refuses_an_existing_git_branch_and_creates_nothing(tiny: Project) -> None:
    git(tiny.root, "branch", "exp-taken")
    with pytest.raises(AlreadyExistsError, match="git branch 'exp-taken'"):
        tiny.exp_new("taken", git=True)
    assert [b.name for b in tiny.repo.list_branches(prefix="exp-")] == []
    assert tiny.current_branch == "main"


def test_exp_new_refuses_existing_and_invalid_names(tiny: Project) -> None:
    tiny.exp_new("one")
    with pytest.raises(AlreadyExistsError, match="experiment 'one' already exists"):
        tiny.exp_new("one")
    with pytest.raises(InvalidNameError):
        tiny.exp_new("has/slash")


def test_exp_list_shows_head_metrics_and_the_current_marker(tiny: Project) -> None:
    tiny.commit("base lr 0.5")
    tiny.exp_new("a")
    write_params(tiny.root, {"prepare": {"rows": 3}, "train": {"lr": 0.2, "seed": 7, "random_state": 11}})
    repro(tiny.root)
    tiny.commit("lr 0.2")
    tiny.exp_new("b")  # from main: no commit of its own yet, shows main's metrics
    rows = {e.name: e for e in tiny.exp_list()}
    assert set(rows) == {"a", "b"}
    assert rows["a"].metrics == {"accuracy": 0.2, "nested.loss": 0.25}
    assert rows["a"].message == "lr 0.2"
    assert rows["b"].metrics == {"accuracy": 0.5, "nested.loss": 0.25}
    assert rows["b"].current and not rows["a"].current


def test_exp_show_summarises_provenance(tiny: Project) -> None:
    tiny.exp_new("shown")
    result = tiny.commit("shown run")
    shown = tiny.exp_show("shown")
    assert shown["branch"] == "exp-shown"
    assert shown["commit_id"] == result.commit_id
    assert shown["params"]["train.lr"] == 0.5
    assert shown["metrics"] == {"accuracy": 0.5, "nested.loss": 0.25}
    assert shown["git_commit"] == git(tiny.root, "rev-parse", "HEAD").strip()
    assert shown["seeds"] == {"train.random_state": 11, "train.seed": 7}
    assert shown["provenance_time"].endswith("Z")
    assert tiny.exp_show("exp-shown")["commit_id"] == result.commit_id


def test_exp_show_and_delete_of_unknown_experiment_are_not_found(tiny: Project) -> None:
    with pytest.raises(NotFoundError, match="experiment 'ghost' not found"):
        tiny.exp_show("ghost")
    with pytest.raises(NotFoundError, match="experiment 'ghost' not found"):
        tiny.exp_delete("ghost")


def test_exp_delete_removes_the_branch_but_not_the_current_one(tiny: Project) -> None:
    tiny.exp_new("keep")
    with pytest.raises(InvalidInputError, match="current branch"):
        tiny.exp_delete("keep")
    tiny.exp_new("other")
    assert tiny.exp_delete("keep") == "exp-keep"
    assert [e.name for e in tiny.exp_list()] == ["other"]


# --- the same through the command line --------------------------------------------------------
@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tiny_root: Path) -> CliRun:
    from lakeline.cli import main

    monkeypatch.chdir(tiny_root)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_flow_exp_new_commit_status_list_show_delete(cli: CliRun, tiny_root: Path) -> None:
    code, out, err = cli("exp", "new", "cli", "--json")
    assert code == 0, err
    assert json.loads(out)["branch"] == "exp-cli"
    code, out, err = cli("commit", "-m", "from the cli", "--meta", "ticket=ML-7", "--json")
    assert code == 0, err
    committed = json.loads(out)
    assert committed["branch"] == "exp-cli" and committed["kind"] == "pipeline"
    assert "models/model.bin" in committed["uploaded"]
    code, out, err = cli("status", "--json")
    assert code == 0, err
    assert json.loads(out)["clean"] is True
    code, out, _ = cli("exp", "list", "--json")
    listed = json.loads(out)
    assert [(e["name"], e["current"], e["metrics"]["accuracy"]) for e in listed] == [("cli", True, 0.5)]
    code, out, _ = cli("exp", "show", "cli", "--json")
    assert json.loads(out)["commit_id"] == committed["commit_id"]
    code, out, _ = cli("exp", "list")
    assert "cli" in out and "*" in out
    code, out, err = cli("checkout", "main", "--json")
    assert code == 0, err
    assert json.loads(out)["branch"] == "main"
    code, out, err = cli("exp", "delete", "cli")
    assert code == 0 and "exp-cli" in out


def test_cli_errors_are_one_line(cli: CliRun, tiny_root: Path) -> None:
    (tiny_root / "params.yaml").write_text("train: [unclosed\n")
    code, out, err = cli("commit", "-m", "broken")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(
        "lakeline: error: params file params.yaml is not valid YAML"
    )
    code, _, err = cli("commit", "main", "--branch", "other", "-m", "x")
    assert code == 1 and "two branches given" in err
    code, _, err = cli("exp", "show", "nope")
    assert code == 1 and err.startswith("lakeline: error: experiment 'nope' not found")


def test_cli_commit_accepts_the_branch_as_an_argument(cli: CliRun, tiny_root: Path) -> None:
    with Project.open(tiny_root) as project:
        project.repo.create_branch("side", "main")
    code, out, err = cli("commit", "side", "-m", "to side", "--json")
    assert code == 0, err
    assert json.loads(out)["branch"] == "side"
