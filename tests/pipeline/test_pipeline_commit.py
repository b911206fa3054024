"""Pipeline-aware commit: what gets stored, what gets skipped, what gets refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pipeline_support import dvc, git, md5, read_lock, repro, write_params

from lakeline import Project
from lakeline.errors import InvalidInputError, NoChangesError, NotFoundError, PipelineError
from lakeline.names import PROVENANCE_PATH
from lakeline.store.base import ObjectStats

OUTPUT_FILES = [
    "data/prepared/all.csv",
    "data/prepared/rows.txt",
    "models/model.bin",
    "models/signature.json",
    "metrics.json",
]


def stored(project: Project, ref: str) -> dict[str, ObjectStats]:
    return {o.path: o for o in project.repo.list_objects(ref) if isinstance(o, ObjectStats)}


def test_commit_stores_outputs_params_dvc_files_and_data_deps_but_not_code(tiny: Project) -> None:
    result = tiny.commit("first")
    objects = stored(tiny, "main")
    expected = {*OUTPUT_FILES, "data/raw/input.csv", "dvc.yaml", "dvc.lock", "params.yaml", PROVENANCE_PATH}
    assert set(objects) == expected  # stage.sh is git-tracked code: the git sha covers it
    for path in expected - {PROVENANCE_PATH}:
        assert objects[path].metadata["md5"] == md5(tiny.root / path), path
        assert tiny.repo.get_object("main", path) == (tiny.root / path).read_bytes()
    assert result.kind == "pipeline"
    assert sorted(result.uploaded) == sorted(expected - {PROVENANCE_PATH})
    assert tiny.repo.get_commit("main").id == result.commit_id


def test_commit_carries_the_summary_metadata(tiny: Project) -> None:
    tiny.commit("first", metadata={"ticket": "ML-1"})
    meta = tiny.repo.get_commit("main").metadata
    head = git(tiny.root, "rev-parse", "HEAD").strip()
    assert meta["lakeline.kind"] == "pipeline"
    assert meta["lakeline.provenance"] == PROVENANCE_PATH
    assert meta["lakeline.git_commit"] == head
    assert meta["lakeline.git_dirty"] == "false"
    assert meta["lakeline.user"] == "tester@example.com"
    assert json.loads(meta["lakeline.metrics"]) == {"accuracy": 0.5, "nested.loss": 0.25}
    assert meta["ticket"] == "ML-1"


def test_second_commit_uploads_only_what_changed(tiny: Project) -> None:
    tiny.commit("first")
    write_params(tiny.root, {"prepare": {"rows": 3}, "train": {"lr": 0.25, "seed": 7, "random_state": 11}})
    repro(tiny.root)
    result = tiny.commit("lower lr")
    # prepare did not rerun: its directory and the raw data are unchanged and not re-sent.
    assert sorted(result.uploaded) == ["dvc.lock", "metrics.json", "models/model.bin", "params.yaml"]
    assert result.deleted == ()
    assert tiny.repo.get_object("main", "metrics.json") == (tiny.root / "metrics.json").read_bytes()


def test_files_gone_from_a_directory_output_are_deleted_from_the_store(tiny: Project) -> None:
    tiny.commit("first")
    dvc_yaml = (tiny.root / "dvc.yaml").read_text()
    (tiny.root / "dvc.yaml").write_text(
        dvc_yaml.replace(" &&\n      echo ${prepare.rows} > data/prepared/rows.txt", "")
    )
    (tiny.root / "data/prepared/rows.txt").unlink()
    repro(tiny.root)
    assert not (tiny.root / "data/prepared/rows.txt").exists()
    result = tiny.commit("no rows file")
    assert result.deleted == ("data/prepared/rows.txt",)
    assert "data/prepared/rows.txt" not in stored(tiny, "main")
    assert "data/prepared/all.csv" in stored(tiny, "main")


def test_outputs_of_a_removed_stage_are_deleted_from_the_store(tiny: Project) -> None:
    tiny.commit("first")
    text = (tiny.root / "dvc.yaml").read_text()
    start, end = text.index("  evaluate:"), text.index("artifacts:")
    (tiny.root / "dvc.yaml").write_text(text[:start] + "\n" + text[end:])
    repro(tiny.root)
    result = tiny.commit("no evaluation")
    assert "metrics.json" in result.deleted
    assert "metrics.json" not in stored(tiny, "main")


def test_committing_twice_without_changes_is_no_changes_unless_allow_empty(tiny: Project) -> None:
    first = tiny.commit("first")
    with pytest.raises(NoChangesError, match="nothing to commit on branch 'main'"):
        tiny.commit("again")
    assert tiny.repo.get_commit("main").id == first.commit_id
    again = tiny.commit("again", allow_empty=True)
    assert again.uploaded == ()
    assert tiny.repo.get_commit("main").parents == (first.commit_id,)


def test_commit_goes_to_the_current_branch_or_the_one_named(tiny: Project) -> None:
    tiny.exp_new("one")
    result = tiny.commit("on the experiment")
    assert result.branch == "exp-one"
    assert PROVENANCE_PATH not in stored(tiny, "main")
    tiny.repo.create_branch("other", "main")
    assert tiny.commit("there", branch="other").branch == "other"
    with pytest.raises(NotFoundError):
        tiny.commit("nowhere", branch="nowhere")


def test_stale_pipeline_is_refused_naming_the_stale_stages(tiny: Project) -> None:
    write_params(tiny.root, {"prepare": {"rows": 3}, "train": {"lr": 0.1, "seed": 7, "random_state": 11}})
    head = tiny.repo.get_commit("main").id
    with pytest.raises(PipelineError) as info:
        tiny.commit("stale")
    message = str(info.value)
    assert "stale" in message and "train" in message and "evaluate" in message
    assert "prepare" not in message.split("(")[0]  # prepare is up to date
    assert "params.yaml:train.lr" in message
    assert "--allow-stale" in message
    assert tiny.repo.get_commit("main").id == head
    assert list(tiny.repo.diff_uncommitted("main")) == []


def test_allow_stale_commits_actual_bytes_and_records_the_stale_stages(tiny: Project) -> None:
    (tiny.root / "models/model.bin").write_text("edited by hand\n")
    result = tiny.commit("hand edit", allow_stale=True)
    # train's output changed, and evaluate depends on it.
    assert set(result.stale_stages) == {"train", "evaluate"}
    stats = tiny.repo.stat_object("main", "models/model.bin")
    assert stats.metadata["md5"] == md5(tiny.root / "models/model.bin")
    assert tiny.repo.get_object("main", "models/model.bin") == b"edited by hand\n"
    assert set(tiny.repo.get_commit("main").metadata["lakeline.stale"].split(",")) == {"train", "evaluate"}


def test_missing_output_is_one_pipeline_error_naming_it(tiny: Project) -> None:
    (tiny.root / "models/model.bin").unlink()
    with pytest.raises(PipelineError, match=r"missing from the workspace: models/model.bin \(stage train\)"):
        tiny.commit("broken", allow_stale=True)
    assert list(tiny.repo.diff_uncommitted("main")) == []


def test_never_reproduced_pipeline_says_run_dvc_repro(tiny: Project) -> None:
    (tiny.root / "dvc.lock").unlink()
    with pytest.raises(PipelineError, match=r"dvc.lock is missing .*run 'dvc repro'"):
        tiny.commit("no lock")


def test_broken_dvc_yaml_is_one_pipeline_error_naming_file_and_line(tiny: Project) -> None:
    (tiny.root / "dvc.yaml").write_text("stages:\n  train:\n    cmd: [unclosed\n")
    with pytest.raises(PipelineError, match=r"dvc.yaml is not valid YAML at line \d+"):
        tiny.commit("broken")


def test_broken_params_yaml_is_one_pipeline_error(tiny: Project) -> None:
    (tiny.root / "params.yaml").write_text("train: {lr: 0.1\n")
    with pytest.raises(PipelineError, match=r"params file params.yaml is not valid YAML at line \d+"):
        tiny.commit("broken")


def test_dvc_yaml_without_dvc_project_is_refused(tiny: Project) -> None:
    import shutil

    shutil.rmtree(tiny.root / ".dvc")
    with pytest.raises(PipelineError, match=r"not a DVC project .*run 'dvc init'"):
        tiny.commit("no dvc")


def test_pipeline_outside_git_is_refused(tiny: Project) -> None:
    import shutil

    shutil.rmtree(tiny.root / ".git")
    with pytest.raises(PipelineError, match="not inside a git repository"):
        tiny.commit("no git")


def test_without_dvc_yaml_commit_is_a_plain_commit_of_staged_changes(tmp_path: Path) -> None:
    with Project.init(tmp_path) as project:
        project.repo.put_object("main", "notes.txt", b"hello")
        result = project.commit("plain", metadata={"k": "v"})
        assert result.kind == "plain"
        commit = project.repo.get_commit("main")
        assert commit.id == result.commit_id
        assert commit.metadata == {"k": "v"}
        assert project.repo.get_object("main", "notes.txt") == b"hello"
        with pytest.raises(NoChangesError):
            project.commit("nothing staged")
        assert project.commit("empty", allow_empty=True).kind == "plain"


@pytest.mark.parametrize(
    "metadata",
    [{"lakeline.kind": "x"}, {"bad key": "v"}, {"k": "two\nlines"}],
    ids=["reserved", "space", "newline"],
)
def test_bad_user_metadata_is_refused_before_anything_is_staged(
    tiny: Project, metadata: dict[str, str]
) -> None:
    with pytest.raises(InvalidInputError):
        tiny.commit("meta", metadata=metadata)
    assert list(tiny.repo.diff_uncommitted("main")) == []


def test_empty_message_is_refused(tiny: Project) -> None:
    with pytest.raises(InvalidInputError, match="message"):
        tiny.commit("  ")


def test_run_reproduces_then_commits(tiny: Project) -> None:
    write_params(tiny.root, {"prepare": {"rows": 4}, "train": {"lr": 0.5, "seed": 7, "random_state": 11}})
    import io

    log = io.StringIO()
    result = tiny.run("rows=4", output=log)
    assert "Running stage 'prepare'" in log.getvalue()
    assert "data/prepared/rows.txt" in result.uploaded
    assert tiny.repo.get_object("main", "data/prepared/rows.txt") == b"4\n"
    assert read_lock(tiny.root)["stages"]["prepare"]["params"]["params.yaml"]["prepare.rows"] == 4


def test_run_with_a_failing_stage_is_one_pipeline_error_and_commits_nothing(tiny: Project) -> None:
    text = (tiny.root / "dvc.yaml").read_text()
    (tiny.root / "dvc.yaml").write_text(text.replace("mkdir -p models &&", "exit 3 &&"))
    write_params(tiny.root, {"prepare": {"rows": 3}, "train": {"lr": 0.9, "seed": 7, "random_state": 11}})
    import io

    with pytest.raises(PipelineError, match=r"'dvc repro' failed \(exit \d+\)"):
        tiny.run("fails", output=io.StringIO())
    assert PROVENANCE_PATH not in stored(tiny, "main")


def test_run_without_a_pipeline_is_a_pipeline_error(tmp_path: Path) -> None:
    with Project.init(tmp_path) as project, pytest.raises(PipelineError, match=r"dvc\.yaml is missing"):
        project.run("nothing to run")


def test_dvc_status_sees_the_same_project_lakeline_committed(tiny: Project) -> None:
    # Sanity of the fixture: DVC itself considers the copied project up to date.
    assert "up to date" in dvc(tiny.root, "status")


def test_an_always_changed_stage_does_not_make_the_pipeline_stale(tiny: Project) -> None:
    text = (tiny.root / "dvc.yaml").read_text()
    stamp = (
        "  stamp:\n    cmd: echo stamped > stamp.txt\n    always_changed: true\n"
        "    outs:\n      - stamp.txt\n"
    )
    (tiny.root / "dvc.yaml").write_text(text.replace("artifacts:", stamp + "\nartifacts:"))
    repro(tiny.root)
    result = tiny.commit("with an always-changed stage")
    assert result.stale_stages == ()
    assert tiny.repo.get_object("main", "stamp.txt") == b"stamped\n"
