"""`lakeline init`, `branch ...` and `tag ...` through the CLI, against a real embedded store."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import Runner

from lakeline import Project
from lakeline.config import STATE_DIR


def _commit_file(project: Project, branch: str, path: str, data: bytes, message: str) -> str:
    project.repo.put_object(branch, path, data)
    return project.repo.commit(branch, message).id


def test_init_creates_an_embedded_project_and_reports_it(cli: Runner, tmp_path: Path) -> None:
    root = tmp_path / "My_Project"
    root.mkdir()
    result = cli("init", "--path", str(root), "--json")
    body = result.json()
    assert body["repository"] == "my-project"
    assert body["backend"] == "local"
    assert body["branch"] == "main"
    assert (root / STATE_DIR / "config.yaml").is_file()
    with Project.open(root) as project:
        assert [b.name for b in project.branch_list()] == ["main"]


def test_init_with_a_repository_name_uses_it(cli: Runner, tmp_path: Path) -> None:
    assert (
        cli("init", "--path", str(tmp_path), "--repo", "models-x", "--json").json()["repository"]
        == "models-x"
    )


def test_init_twice_is_one_error_line_and_keeps_the_project(cli: Runner, project_dir: Path) -> None:
    config = (project_dir / STATE_DIR / "config.yaml").read_text()
    assert "already holds a lakeline project" in cli("init").error_line()
    assert (project_dir / STATE_DIR / "config.yaml").read_text() == config


def test_init_refuses_storage_namespace_without_lakefs(cli: Runner, tmp_path: Path) -> None:
    message = cli("init", "--path", str(tmp_path), "--storage-namespace", "s3://b/p").error_line()
    assert "--lakefs" in message
    assert not (tmp_path / STATE_DIR).exists()


def test_init_refuses_an_invalid_repository_name(cli: Runner, tmp_path: Path) -> None:
    assert (
        "invalid repository name" in cli("init", "--path", str(tmp_path), "--repo", "Bad_Name").error_line()
    )


def test_commands_outside_a_project_say_to_run_init(
    cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "lakeline init" in cli("branch", "list").error_line()


def test_branch_create_starts_at_the_current_branch_head(cli: Runner, project: Project) -> None:
    head = _commit_file(project, "main", "a.txt", b"a", "first")
    branch = cli("branch", "create", "exp-a", "--json").json()["branch"]
    assert branch == {"name": "exp-a", "commit_id": head}


def test_branch_create_from_a_ref_expression(cli: Runner, project: Project) -> None:
    first = _commit_file(project, "main", "a.txt", b"1", "one")
    _commit_file(project, "main", "a.txt", b"2", "two")
    assert cli("branch", "create", "old", "--from", "main~1", "--json").json()["branch"]["commit_id"] == first


def test_branch_list_marks_the_current_branch(cli: Runner, project: Project) -> None:
    project.branch_create("exp-b")
    rows = cli("branch", "list", "--json").json()
    assert [(r["name"], r["current"]) for r in rows] == [("exp-b", False), ("main", True)]
    table = cli("branch", "list").stdout
    assert "exp-b" in table and "*" in table


def test_branch_list_pages_with_prefix_after_and_amount(cli: Runner, project: Project) -> None:
    for name in ("exp-1", "exp-2", "exp-3"):
        project.branch_create(name)
    assert [r["name"] for r in cli("branch", "list", "--prefix", "exp-", "--json").json()] == [
        "exp-1",
        "exp-2",
        "exp-3",
    ]
    assert [r["name"] for r in cli("branch", "list", "--after", "exp-1", "-n", "1", "--json").json()] == [
        "exp-2"
    ]


def test_branch_create_existing_name_is_one_error_line(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    assert "already exists" in cli("branch", "create", "exp-a").error_line()


@pytest.mark.parametrize("name", ["has/slash", "has.dot", "-dash", "with space", "a" * 64 + "/"])
def test_branch_create_invalid_name_is_one_error_line(cli: Runner, project: Project, name: str) -> None:
    assert "invalid branch name" in cli("branch", "create", "--", name).error_line()
    assert [b.name for b in project.branch_list()] == ["main"]


def test_branch_create_from_unknown_ref_is_one_error_line(cli: Runner, project: Project) -> None:
    assert "not found" in cli("branch", "create", "x", "--from", "nope").error_line()


def test_branch_delete_removes_only_the_pointer(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    head = _commit_file(project, "exp-a", "a.txt", b"a", "on exp")
    project.tag_create("keep", "exp-a")
    assert cli("branch", "delete", "exp-a", "--json").json()["branch"] == "exp-a"
    assert [b.name for b in project.branch_list()] == ["main"]
    assert project.repo.get_commit("keep").id == head


def test_branch_delete_of_the_current_branch_is_refused(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    project.set_current_branch("exp-a")
    assert "current branch" in cli("branch", "delete", "exp-a").error_line()
    assert "exp-a" in [b.name for b in project.branch_list()]


def test_branch_delete_of_the_default_branch_is_refused(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    project.set_current_branch("exp-a")
    assert cli("branch", "delete", "main").error_line()
    assert "main" in [b.name for b in project.branch_list()]


def test_branch_delete_unknown_is_one_error_line(cli: Runner, project: Project) -> None:
    assert "not found" in cli("branch", "delete", "ghost").error_line()


def test_branch_reset_discards_uncommitted_changes_and_keeps_commits(cli: Runner, project: Project) -> None:
    head = _commit_file(project, "main", "kept.txt", b"kept", "keep")
    project.repo.put_object("main", "new.txt", b"new")
    project.repo.put_object("main", "kept.txt", b"changed")
    body = cli("branch", "reset", "main", "--json").json()
    assert sorted(c["path"] for c in body["discarded"]) == ["kept.txt", "new.txt"]
    assert list(project.repo.diff_uncommitted("main")) == []
    assert project.repo.get_branch("main").commit_id == head
    assert project.repo.get_object("main", "kept.txt") == b"kept"


def test_branch_reset_with_path_discards_only_under_it(cli: Runner, project: Project) -> None:
    project.repo.put_object("main", "a/x.txt", b"x")
    project.repo.put_object("main", "b/y.txt", b"y")
    cli("branch", "reset", "main", "--path", "a/")
    assert [c.path for c in project.repo.diff_uncommitted("main")] == ["b/y.txt"]


def test_tag_create_list_and_delete(cli: Runner, project: Project) -> None:
    first = _commit_file(project, "main", "a.txt", b"1", "one")
    _commit_file(project, "main", "a.txt", b"2", "two")
    assert cli("tag", "create", "v1.0", "main~1", "--json").json()["tag"] == {
        "name": "v1.0",
        "commit_id": first,
    }
    assert cli("tag", "list", "--json").json() == [{"name": "v1.0", "commit_id": first}]
    assert "v1.0" in cli("tag", "list").stdout
    assert cli("tag", "delete", "v1.0").code == 0
    assert cli("tag", "list", "--json").json() == []


def test_tags_are_immutable(cli: Runner, project: Project) -> None:
    project.tag_create("v1", "main")
    assert "already exists" in cli("tag", "create", "v1", "main").error_line()


@pytest.mark.parametrize("name", ["a/b", "a..b", "bad~", "x.lock", "@", "sp ace"])
def test_tag_create_invalid_name_is_one_error_line(cli: Runner, project: Project, name: str) -> None:
    assert "invalid tag name" in cli("tag", "create", "--", name, "main").error_line()


def test_tag_create_on_unknown_ref_and_delete_unknown_are_one_error_line(
    cli: Runner, project: Project
) -> None:
    assert "not found" in cli("tag", "create", "v1", "nowhere").error_line()
    assert "not found" in cli("tag", "delete", "ghost").error_line()
