"""`lakeline log`, `diff`, `merge` and `revert` through the CLI, against a real embedded store."""

from __future__ import annotations

from cli_runner import Runner

from lakeline import Project


def _commit(project: Project, branch: str, files: dict[str, bytes | None], message: str) -> str:
    for path, data in files.items():
        if data is None:
            project.repo.delete_object(branch, path)
        else:
            project.repo.put_object(branch, path, data)
    return project.repo.commit(branch, message).id


# --- log --------------------------------------------------------------------------------------
def test_log_lists_commits_newest_first_with_full_records(cli: Runner, project: Project) -> None:
    first = _commit(project, "main", {"a.txt": b"1"}, "one")
    second = _commit(project, "main", {"a.txt": b"2"}, "two\n\nlong body")
    commits = cli("log", "--json").json()
    assert [c["id"] for c in commits[:2]] == [second, first]
    assert commits[0]["message"] == "two\n\nlong body"
    assert commits[0]["parents"] == [first]
    assert commits[-1]["message"] == "Repository created"
    table = cli("log").stdout
    assert second[:12] in table and "long body" not in table  # first line only in tables


def test_log_amount_ref_and_prefix_filter(cli: Runner, project: Project) -> None:
    a = _commit(project, "main", {"data/a": b"1"}, "data")
    b = _commit(project, "main", {"models/m": b"1"}, "model")
    assert [c["id"] for c in cli("log", "main", "-n", "1", "--json").json()] == [b]
    assert [c["id"] for c in cli("log", "main~1", "-n", "1", "--json").json()] == [a]
    assert [c["id"] for c in cli("log", "--prefix", "data/", "--json").json()] == [a]
    both = cli("log", "--prefix", "data/", "--prefix", "models/", "--json").json()
    assert [c["id"] for c in both] == [b, a]


def test_log_first_parent_skips_merged_side_commits(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    side = _commit(project, "exp-a", {"x": b"x"}, "side")
    merge = project.merge("exp-a", "main").id
    all_ids = [c["id"] for c in cli("log", "--json").json()]
    first_parent = [c["id"] for c in cli("log", "--first-parent", "--json").json()]
    assert side in all_ids and merge in all_ids
    assert side not in first_parent and merge in first_parent


def test_log_of_unknown_or_malformed_ref_is_one_error_line(cli: Runner, project: Project) -> None:
    assert "not found" in cli("log", "ghost").error_line()
    assert cli("log", "main~x").error_line()
    assert "invalid path" in cli("log", "--prefix", "../x").error_line()


# --- diff -------------------------------------------------------------------------------------
def test_diff_alone_shows_the_current_branch_uncommitted_changes(cli: Runner, project: Project) -> None:
    _commit(project, "main", {"keep": b"k", "gone": b"g", "edit": b"1"}, "base")
    project.repo.put_object("main", "edit", b"2")
    project.repo.put_object("main", "new", b"n")
    project.repo.delete_object("main", "gone")
    expected = [("changed", "edit"), ("removed", "gone"), ("added", "new")]
    assert [(c["type"], c["path"]) for c in cli("diff", "--json").json()] == expected
    assert [(c["type"], c["path"]) for c in cli("diff", "main", "--json").json()] == expected
    assert "removed" in cli("diff").stdout


def test_diff_of_two_refs_is_three_dot_unless_two_dot(cli: Runner, project: Project) -> None:
    _commit(project, "main", {"base": b"b"}, "base")
    project.branch_create("exp-a")
    _commit(project, "exp-a", {"exp-only": b"e"}, "on exp")
    _commit(project, "main", {"main-only": b"m"}, "on main")
    three_dot = cli("diff", "main", "exp-a", "--json").json()
    assert [(c["type"], c["path"]) for c in three_dot] == [("added", "exp-only")]
    two_dot = cli("diff", "main", "exp-a", "--two-dot", "--json").json()
    assert [(c["type"], c["path"]) for c in two_dot] == [("added", "exp-only"), ("removed", "main-only")]


def test_diff_prefix_limits_paths(cli: Runner, project: Project) -> None:
    project.repo.put_object("main", "a/1", b"1")
    project.repo.put_object("main", "b/2", b"2")
    assert [c["path"] for c in cli("diff", "--prefix", "b/", "--json").json()] == ["b/2"]


def test_diff_of_a_tag_alone_says_it_is_not_a_branch(cli: Runner, project: Project) -> None:
    project.tag_create("v1.0", "main")
    assert "not a branch" in cli("diff", "v1.0").error_line()
    assert "not found" in cli("diff", "main", "ghost").error_line()


# --- merge ------------------------------------------------------------------------------------
def test_merge_creates_a_merge_commit_with_both_parents(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    side = _commit(project, "exp-a", {"model": b"better"}, "train")
    main_head = project.repo.get_branch("main").commit_id
    body = cli("merge", "exp-a", "main", "-m", "promote", "--json").json()
    assert body["commit"]["parents"] == [main_head, side]
    assert body["commit"]["message"] == "promote"
    assert project.repo.get_object("main", "model") == b"better"


def test_merge_into_the_current_branch_by_default(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    _commit(project, "exp-a", {"x": b"x"}, "x")
    assert "into 'main'" in cli("merge", "exp-a").stdout
    assert project.repo.get_object("main", "x") == b"x"


def test_merge_conflict_names_paths_and_changes_nothing(cli: Runner, project: Project) -> None:
    _commit(project, "main", {"shared": b"base"}, "base")
    project.branch_create("exp-a")
    _commit(project, "exp-a", {"shared": b"exp"}, "exp side")
    main_head = _commit(project, "main", {"shared": b"main"}, "main side")
    message = cli("merge", "exp-a", "main").error_line()
    assert "shared" in message
    assert project.repo.get_branch("main").commit_id == main_head
    assert project.repo.get_object("main", "shared") == b"main"


def test_merge_strategy_resolves_conflicts_for_one_side(cli: Runner, project: Project) -> None:
    _commit(project, "main", {"shared": b"base"}, "base")
    project.branch_create("exp-a")
    _commit(project, "exp-a", {"shared": b"exp"}, "exp side")
    _commit(project, "main", {"shared": b"main"}, "main side")
    cli("merge", "exp-a", "main", "--strategy", "source-wins")
    assert project.repo.get_object("main", "shared") == b"exp"


def test_merge_refusals_are_one_error_line(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    assert "strategy" in cli("merge", "exp-a", "main", "--strategy", "ours").error_line()
    assert "not found" in cli("merge", "ghost", "main").error_line()
    assert "invalid branch name" in cli("merge", "exp-a", "main~1").error_line()
    _commit(project, "exp-a", {"x": b"x"}, "x")
    project.repo.put_object("main", "dirty", b"d")
    assert "uncommitted changes" in cli("merge", "exp-a", "main").error_line()
    assert project.repo.get_object("main", "dirty") == b"d"


def test_merge_with_nothing_new_is_one_error_line(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    assert "nothing to merge" in cli("merge", "exp-a", "main").error_line()
    assert len(list(project.repo.log("main"))) == 1


# --- revert -----------------------------------------------------------------------------------
def test_revert_commits_the_inverse_change(cli: Runner, project: Project) -> None:
    _commit(project, "main", {"a": b"1"}, "one")
    bad = _commit(project, "main", {"a": b"2", "b": b"new"}, "bad")
    body = cli("revert", "main", bad, "--json").json()
    assert body["commit"]["parents"] == [bad]
    assert project.repo.get_object("main", "a") == b"1"
    assert [e.path for e in project.repo.list_objects("main")] == ["a"]


def test_revert_of_a_merge_commit_needs_a_parent_number(cli: Runner, project: Project) -> None:
    _commit(project, "main", {"a": b"1"}, "one")
    project.branch_create("exp-a")
    _commit(project, "exp-a", {"b": b"b"}, "side")
    merge = project.merge("exp-a", "main").id
    assert "parent" in cli("revert", "main", merge).error_line()
    cli("revert", "main", merge[:12], "--parent-number", "1")
    assert [e.path for e in project.repo.list_objects("main")] == ["a"]


def test_revert_refusals_are_one_error_line(cli: Runner, project: Project) -> None:
    c = _commit(project, "main", {"a": b"1"}, "one")
    assert "not found" in cli("revert", "main", "ghost").error_line()
    assert "invalid branch name" in cli("revert", "main~1", c).error_line()
    assert "parent number" in cli("revert", "main", c, "--parent-number", "-1").error_line()
    project.repo.put_object("main", "dirty", b"d")
    assert "uncommitted changes" in cli("revert", "main", c).error_line()
