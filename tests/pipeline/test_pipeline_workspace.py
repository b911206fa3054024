"""Checkout and status: the workspace follows the store, never loses local edits, never escapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pipeline_support import git, repro, write_params

from lakeline import Project
from lakeline.errors import ConflictError, InvalidPathError
from lakeline.names import PROVENANCE_PATH
from lakeline.pipeline.state import STATE_FILE
from lakeline.pipeline.workspace import safe_destination


def two_versions(project: Project) -> tuple[str, str]:
    """main: lr 0.5; exp-b: lr 0.25. The workspace is left holding exp-b's files."""
    main = project.commit("lr 0.5").commit_id
    project.exp_new("b")
    write_params(project.root, {"prepare": {"rows": 3}, "train": {"lr": 0.25, "seed": 7, "random_state": 11}})
    repro(project.root)
    other = project.commit("lr 0.25").commit_id
    return main, other


def test_checkout_materialises_the_refs_files_and_makes_a_branch_current(tiny: Project) -> None:
    two_versions(tiny)
    result = tiny.checkout("main")
    assert tiny.current_branch == "main"
    assert result.branch == "main"
    assert sorted(result.written) == ["dvc.lock", "metrics.json", "models/model.bin", "params.yaml"]
    for path in ("models/model.bin", "metrics.json", "params.yaml", "dvc.lock", "data/prepared/all.csv"):
        assert (tiny.root / path).read_bytes() == tiny.repo.get_object("main", path), path
    assert not (tiny.root / "_lakeline").exists()
    assert (tiny.root / "metrics.json").read_text().startswith('{"accuracy": 0.5')
    # The workspace now matches main, and DVC agrees its outputs are up to date.
    assert tiny.status().clean


def test_checkout_of_a_commit_id_keeps_the_current_branch(tiny: Project) -> None:
    main, _ = two_versions(tiny)
    result = tiny.checkout(main)
    assert result.branch is None
    assert tiny.current_branch == "exp-b"
    assert (tiny.root / "models/model.bin").read_bytes() == tiny.repo.get_object(main, "models/model.bin")


def test_checkout_refuses_to_overwrite_local_changes_and_force_overrides(tiny: Project) -> None:
    two_versions(tiny)
    tiny.checkout("main")
    (tiny.root / "models/model.bin").write_text("my local experiment\n")
    metrics_before = (tiny.root / "metrics.json").read_bytes()
    with pytest.raises(ConflictError, match=r"would overwrite local changes to models/model.bin.*--force"):
        tiny.checkout("exp-b")
    assert (tiny.root / "models/model.bin").read_text() == "my local experiment\n"
    assert (tiny.root / "metrics.json").read_bytes() == metrics_before  # nothing written
    assert tiny.current_branch == "main"
    tiny.checkout("exp-b", force=True)
    assert (tiny.root / "models/model.bin").read_bytes() == tiny.repo.get_object("exp-b", "models/model.bin")
    assert tiny.current_branch == "exp-b"


def test_checkout_removes_files_the_ref_lacks_but_the_previous_checkout_had(tiny: Project) -> None:
    tiny.commit("base")
    tiny.repo.create_branch("without-extra", "main")
    tiny.repo.put_object("main", "extra/deep/notes.txt", b"extra")
    tiny.repo.commit("main", "add notes")
    tiny.checkout("main")
    assert (tiny.root / "extra/deep/notes.txt").read_bytes() == b"extra"
    result = tiny.checkout("without-extra")
    assert result.removed == ("extra/deep/notes.txt",)
    assert not (tiny.root / "extra").exists()  # emptied folders go too
    assert (tiny.root / "models/model.bin").exists()


def test_checkout_keeps_a_locally_edited_file_the_ref_lacks_unless_forced(tiny: Project) -> None:
    tiny.commit("base")
    tiny.repo.create_branch("without-extra", "main")
    tiny.repo.put_object("main", "extra.txt", b"extra")
    tiny.repo.commit("main", "add extra")
    tiny.checkout("main")
    (tiny.root / "extra.txt").write_text("edited")
    with pytest.raises(ConflictError, match=r"extra\.txt"):
        tiny.checkout("without-extra")
    assert (tiny.root / "extra.txt").read_text() == "edited"
    tiny.checkout("without-extra", force=True)
    assert not (tiny.root / "extra.txt").exists()


def test_untracked_local_file_in_the_way_is_a_conflict(tiny: Project) -> None:
    tiny.repo.put_object("main", "reports/summary.txt", b"from the store")
    tiny.repo.commit("main", "summary")
    (tiny.root / "reports").mkdir()
    (tiny.root / "reports/summary.txt").write_text("never committed anywhere")
    with pytest.raises(ConflictError, match=r"reports/summary\.txt"):
        tiny.checkout("main")
    assert (tiny.root / "reports/summary.txt").read_text() == "never committed anywhere"


def _forget_workspace(project: Project) -> None:
    """As in a fresh clone: no lakeline state, no outputs; git's files only."""
    import shutil

    (project.state_dir / STATE_FILE).unlink()
    for path in ("data/prepared", "models"):
        shutil.rmtree(project.root / path)
    for path in ("metrics.json", "dvc.lock"):
        (project.root / path).unlink()


def test_git_tracked_files_identical_to_head_may_be_replaced_but_edited_ones_not(tiny: Project) -> None:
    two_versions(tiny)
    tiny.checkout("main")
    _forget_workspace(tiny)
    # params.yaml is git's own version: recoverable from git, so checkout may replace it.
    tiny.checkout("exp-b")
    assert "lr: 0.25" in (tiny.root / "params.yaml").read_text()
    _forget_workspace(tiny)
    # params.yaml now differs from git's HEAD and lakeline never wrote it: a local edit.
    assert "M params.yaml" in git(tiny.root, "status", "--porcelain")
    with pytest.raises(ConflictError, match=r"params\.yaml"):
        tiny.checkout("main")
    assert "lr: 0.25" in (tiny.root / "params.yaml").read_text()


@pytest.mark.parametrize(
    "path",
    [
        "../escape.txt",
        "/etc/passwd",
        "a/../../escape",
        "a//b",
        "./a",
        ".git/hooks/post-checkout",
        ".lakeline/HEAD",
    ],
)
def test_unsafe_store_paths_are_rejected(tmp_path: Path, path: str) -> None:
    with pytest.raises(InvalidPathError, match="refusing to write"):
        safe_destination(tmp_path, path)


def test_checkout_writing_through_a_symlink_to_outside_is_rejected_and_writes_nothing(
    tiny: Project, tmp_path: Path
) -> None:
    tiny.commit("base")
    tiny.repo.put_object("main", "linked/file.txt", b"payload")
    tiny.repo.commit("main", "linked")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, tiny.root / "linked")
    (tiny.root / "models/model.bin").unlink()
    with pytest.raises(InvalidPathError, match="linked is a symlink"):
        tiny.checkout("main")
    assert list(outside.iterdir()) == []
    assert not (tiny.root / "models/model.bin").exists()  # nothing at all was written


def test_a_symlinked_folder_inside_the_workspace_is_fine(tiny: Project) -> None:
    tiny.repo.put_object("main", "linked/file.txt", b"payload")
    tiny.repo.commit("main", "linked")
    (tiny.root / "real").mkdir()
    os.symlink(tiny.root / "real", tiny.root / "linked")
    tiny.checkout("main", force=True)
    assert (tiny.root / "real/file.txt").read_bytes() == b"payload"


def test_a_store_object_aimed_at_git_hooks_is_rejected(tiny: Project) -> None:
    tiny.repo.put_object("main", ".git/hooks/post-checkout", b"#!/bin/sh\necho pwned\n")
    tiny.repo.commit("main", "evil")
    with pytest.raises(InvalidPathError, match=r"\.git/"):
        tiny.checkout("main")
    assert not (tiny.root / ".git/hooks/post-checkout").exists()


def test_status_names_added_modified_deleted_files_and_stale_stages(tiny: Project) -> None:
    tiny.commit("base")
    assert tiny.status().clean
    (tiny.root / "models/model.bin").write_text("changed\n")
    (tiny.root / "metrics.json").unlink()
    (tiny.root / "data/prepared/new.csv").write_text("new\n")
    report = tiny.status()
    assert report.branch == "main"
    assert report.commit_id == tiny.repo.get_commit("main").id
    assert report.modified == ("models/model.bin",)
    assert report.deleted == ("metrics.json",)
    assert report.added == ("data/prepared/new.csv",)
    assert set(report.stale_stages) == {"prepare", "train", "evaluate"}
    assert any("models/model.bin" in reason for reason in report.stale_stages["train"])
    assert not report.clean


def test_status_before_any_commit_shows_the_pipeline_files_as_added(tiny: Project) -> None:
    report = tiny.status()
    assert "models/model.bin" in report.added and "dvc.lock" in report.added
    assert PROVENANCE_PATH not in report.added
    assert report.stale_stages == {}


def test_a_store_holding_both_a_file_and_a_folder_of_one_name_is_rejected_before_writing(
    tiny: Project,
) -> None:
    tiny.repo.put_object("main", "clash", b"a file")
    tiny.repo.put_object("main", "clash/inner.txt", b"a file in a folder")
    tiny.repo.commit("main", "clash")
    with pytest.raises(InvalidPathError, match=r"'clash' and 'clash/inner\.txt'"):
        tiny.checkout("main")
    assert not (tiny.root / "clash").exists()
