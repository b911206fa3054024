"""`lakeline fs upload/download/cat/ls/stat/rm` through the CLI, against a real embedded store."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cli_runner import Runner

from lakeline import Project


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _staged(project: Project, branch: str = "main") -> list[str]:
    return [c.path for c in project.repo.diff_uncommitted(branch)]


# --- upload -----------------------------------------------------------------------------------
def test_upload_file_to_an_exact_path_with_metadata_and_content_type(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    src = _write(tmp_path / "users.csv", "id,name\n1,ada\n")
    args = ("fs", "upload", str(src), "main/data/raw/u.csv", "--meta", "source=survey", "--meta", "pii=yes")
    body = cli(*args, "--content-type", "text/csv", "--json").json()
    assert [o["path"] for o in body["objects"]] == ["data/raw/u.csv"]
    stats = project.repo.stat_object("main", "data/raw/u.csv")
    assert stats.content_type == "text/csv"
    assert dict(stats.metadata) == {"source": "survey", "pii": "yes"}
    assert project.repo.get_object("main", "data/raw/u.csv") == src.read_bytes()
    assert _staged(project) == ["data/raw/u.csv"]  # staged, not committed


def test_upload_file_into_a_prefix_keeps_its_name(cli: Runner, project: Project, tmp_path: Path) -> None:
    src = _write(tmp_path / "a.bin", b"\x00\x01")
    cli("fs", "upload", str(src), "main/data/")
    cli("fs", "upload", str(src), "main")
    assert sorted(o.path for o in project.repo.list_objects("main")) == ["a.bin", "data/a.bin"]  # type: ignore[union-attr]


def test_upload_folder_recursively_mirrors_its_tree_under_the_path(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "dataset"
    files = {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deeper/c.bin": bytes(range(256))}
    for rel, data in files.items():
        _write(folder / rel, data)
    body = cli("fs", "upload", str(folder), "main/ds", "--json").json()
    assert [o["path"] for o in body["objects"]] == [f"ds/{rel}" for rel in sorted(files)]
    for rel, data in files.items():
        assert project.repo.get_object("main", f"ds/{rel}") == data
    assert "uploaded 3 object(s)" in cli("fs", "upload", str(folder), "main/ds").stdout


def test_upload_through_a_lakefs_uri_of_the_project_repository(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    src = _write(tmp_path / "x.txt", "x")
    cli("fs", "upload", str(src), f"lakefs://{project.config.repository}/main/x.txt")
    assert project.repo.get_object("main", "x.txt") == b"x"
    message = cli("fs", "upload", str(src), "lakefs://other-repo/main/x.txt").error_line()
    assert "other-repo" in message


def test_upload_of_a_missing_local_file_is_one_error_line(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    assert "not found" in cli("fs", "upload", str(tmp_path / "nope.csv"), "main/x").error_line()
    assert _staged(project) == []


def test_upload_to_an_unknown_branch_is_one_error_line(cli: Runner, project: Project, tmp_path: Path) -> None:
    src = _write(tmp_path / "x.txt", "x")
    assert "not found" in cli("fs", "upload", str(src), "ghost/x.txt").error_line()


def test_upload_to_a_ref_that_is_not_a_branch_is_refused(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    src = _write(tmp_path / "x.txt", "x")
    assert "invalid branch name" in cli("fs", "upload", str(src), "main~1/x.txt").error_line()


@pytest.mark.parametrize("target", ["main/../x", "main//x", "main/a/./b", "/x"])
def test_upload_to_an_unsafe_store_path_is_refused(
    cli: Runner, project: Project, tmp_path: Path, target: str
) -> None:
    src = _write(tmp_path / "x.txt", "x")
    assert cli("fs", "upload", str(src), target).error_line()
    assert _staged(project) == []


@pytest.mark.parametrize("meta", ["novalue", "=v", "bad key=v"])
def test_upload_with_malformed_metadata_is_refused(
    cli: Runner, project: Project, tmp_path: Path, meta: str
) -> None:
    src = _write(tmp_path / "x.txt", "x")
    assert "metadata" in cli("fs", "upload", str(src), "main/x", "--meta", meta).error_line().replace(
        "--meta", "metadata"
    )
    assert _staged(project) == []


def test_upload_never_reads_through_a_symlink_out_of_the_named_folder(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    secret = _write(tmp_path / "outside" / "secret.txt", "do not upload")
    folder = tmp_path / "ds"
    _write(folder / "ok.txt", "ok")
    os.symlink(secret, folder / "leak.txt")
    message = cli("fs", "upload", str(folder), "main/ds").error_line()
    assert "leak.txt" in message and "outside" in message
    assert _staged(project) == []  # refused before the first byte


def test_upload_refuses_a_symlinked_folder_pointing_outside(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    _write(tmp_path / "outside" / "secret.txt", "do not upload")
    folder = tmp_path / "ds"
    _write(folder / "ok.txt", "ok")
    os.symlink(tmp_path / "outside", folder / "linked")
    assert "linked" in cli("fs", "upload", str(folder), "main/ds").error_line()
    assert _staged(project) == []


def test_upload_follows_symlinks_that_stay_inside_the_folder(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "ds"
    _write(folder / "real.txt", "real")
    os.symlink(folder / "real.txt", folder / "alias.txt")
    cli("fs", "upload", str(folder), "main/ds")
    assert project.repo.get_object("main", "ds/alias.txt") == b"real"


def test_upload_of_an_empty_folder_is_refused(cli: Runner, project: Project, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no files" in cli("fs", "upload", str(tmp_path / "empty"), "main/x").error_line()


# --- download ---------------------------------------------------------------------------------
def test_download_of_a_prefix_recreates_the_tree_byte_for_byte(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    files = {"a.txt": b"a", "sub/b.bin": os.urandom(5000), "sub/deep/c": b""}
    for rel, data in files.items():
        project.repo.put_object("main", f"ds/{rel}", data)
    project.repo.put_object("main", "other.txt", b"not under ds/")
    body = cli("fs", "download", "main/ds/", str(tmp_path / "out"), "--json").json()
    assert sorted(o["path"] for o in body["objects"]) == [f"ds/{rel}" for rel in sorted(files)]
    assert _tree(tmp_path / "out") == files


def test_download_of_a_whole_ref_skips_lakelines_own_objects(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    project.repo.put_object("main", "a.txt", b"a")
    project.repo.put_object("main", "_lakeline/provenance.json", b"{}")
    cli("fs", "download", "main", str(tmp_path / "out"))
    assert _tree(tmp_path / "out") == {"a.txt": b"a"}
    cli("fs", "download", "main/_lakeline/", str(tmp_path / "own"))
    assert _tree(tmp_path / "own") == {"provenance.json": b"{}"}


def test_download_of_one_object_to_a_file_or_into_a_folder(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    project.repo.put_object("main", "m/model.pkl", b"weights")
    cli("fs", "download", "main/m/model.pkl", str(tmp_path / "x" / "renamed.pkl"))
    assert (tmp_path / "x" / "renamed.pkl").read_bytes() == b"weights"
    (tmp_path / "dir").mkdir()
    cli("fs", "download", "main/m/model.pkl", str(tmp_path / "dir"))
    assert (tmp_path / "dir" / "model.pkl").read_bytes() == b"weights"
    cli("fs", "download", "main/m/model.pkl", str(tmp_path / "new") + "/")
    assert (tmp_path / "new" / "model.pkl").read_bytes() == b"weights"


def test_download_reads_committed_state_of_older_refs(cli: Runner, project: Project, tmp_path: Path) -> None:
    project.repo.put_object("main", "a.txt", b"v1")
    project.repo.commit("main", "v1")
    project.repo.put_object("main", "a.txt", b"v2")
    cli("fs", "download", "main@/a.txt", str(tmp_path / "committed.txt"))
    cli("fs", "download", "main/a.txt", str(tmp_path / "staged.txt"))
    assert (tmp_path / "committed.txt").read_bytes() == b"v1"
    assert (tmp_path / "staged.txt").read_bytes() == b"v2"


def test_download_never_writes_through_a_symlink_out_of_the_destination(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    project.repo.put_object("main", "ds/evil/x.txt", b"payload")
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "out"
    dest.mkdir()
    os.symlink(outside, dest / "evil")
    assert "outside" in cli("fs", "download", "main/ds/", str(dest)).error_line()
    assert list(outside.iterdir()) == []


def test_download_refuses_a_path_that_is_both_file_and_folder(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    project.repo.put_object("main", "ds/a", b"file")
    project.repo.put_object("main", "ds/a/b", b"nested")
    assert "file and a folder" in cli("fs", "download", "main/ds/", str(tmp_path / "out")).error_line()
    assert not (tmp_path / "out").exists()


def test_download_of_a_folder_name_without_slash_says_how(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    project.repo.put_object("main", "ds/a.txt", b"a")
    assert "'main/ds/'" in cli("fs", "download", "main/ds", str(tmp_path / "out")).error_line()


def test_download_of_missing_objects_and_refs_is_one_error_line(
    cli: Runner, project: Project, tmp_path: Path
) -> None:
    assert "not found" in cli("fs", "download", "main/nope.txt", str(tmp_path / "o")).error_line()
    assert "no objects" in cli("fs", "download", "main/empty/", str(tmp_path / "o")).error_line()
    assert "not found" in cli("fs", "download", "ghost/a.txt", str(tmp_path / "o")).error_line()
    assert not (tmp_path / "o").exists()


# --- cat, stat, ls ----------------------------------------------------------------------------
def test_cat_writes_the_exact_bytes(cli: Runner, project: Project) -> None:
    data = bytes(range(256)) * 1000
    project.repo.put_object("main", "blob.bin", data)
    assert cli("fs", "cat", "main/blob.bin").stdout_bytes == data


def test_cat_json_gives_text_or_base64(cli: Runner, project: Project) -> None:
    project.repo.put_object("main", "t.txt", "héllo\n".encode())
    project.repo.put_object("main", "b.bin", b"\xff\xfe\x00")
    assert cli("fs", "cat", "main/t.txt", "--json").json()["text"] == "héllo\n"
    assert base64.b64decode(cli("fs", "cat", "main/b.bin", "--json").json()["base64"]) == b"\xff\xfe\x00"


def test_cat_of_a_folder_or_missing_object_is_one_error_line(cli: Runner, project: Project) -> None:
    project.repo.put_object("main", "ds/a.txt", b"a")
    assert "is a folder" in cli("fs", "cat", "main/ds").error_line()
    assert "names no object" in cli("fs", "cat", "main/ds/").error_line()
    assert "not found" in cli("fs", "cat", "main/nope").error_line()
    assert "not found" in cli("fs", "cat", "nobranch/a.txt").error_line()


def test_stat_shows_checksum_size_and_metadata(cli: Runner, project: Project) -> None:
    stats = project.repo.put_object("main", "a.txt", b"abc", metadata={"k": "v"})
    body = cli("fs", "stat", "main/a.txt", "--json").json()
    assert body["checksum"] == stats.checksum
    assert body["size_bytes"] == 3
    assert body["metadata"] == {"k": "v"}
    assert stats.checksum in cli("fs", "stat", "main/a.txt").stdout


def test_ls_lists_one_level_with_folders_or_everything_recursively(cli: Runner, project: Project) -> None:
    for path in ("a.txt", "ds/b.txt", "ds/sub/c.txt"):
        project.repo.put_object("main", path, b"x")
    one_level = cli("fs", "ls", "main", "--json").json()
    assert [(e["path_type"], e["path"]) for e in one_level] == [("object", "a.txt"), ("prefix", "ds/")]
    below = cli("fs", "ls", "main/ds/", "--json").json()
    assert [e["path"] for e in below] == ["ds/b.txt", "ds/sub/"]
    everything = cli("fs", "ls", "main", "-r", "--json").json()
    assert [e["path"] for e in everything] == ["a.txt", "ds/b.txt", "ds/sub/c.txt"]
    assert "ds/sub/c.txt" in cli("fs", "ls", "main", "--recursive").stdout


def test_ls_pages_with_amount_and_after(cli: Runner, project: Project) -> None:
    for i in range(5):
        project.repo.put_object("main", f"f{i}.txt", b"x")
    page = cli("fs", "ls", "main", "-n", "2", "--after", "f1.txt", "--json").json()
    assert [e["path"] for e in page] == ["f2.txt", "f3.txt"]


def test_ls_defaults_to_the_current_branch(cli: Runner, project: Project) -> None:
    project.branch_create("exp-a")
    project.repo.put_object("exp-a", "only-on-exp.txt", b"x")
    project.set_current_branch("exp-a")
    assert [e["path"] for e in cli("fs", "ls", "--json").json()] == ["only-on-exp.txt"]


def test_ls_of_unknown_ref_and_negative_amount_are_one_error_line(cli: Runner, project: Project) -> None:
    assert "not found" in cli("fs", "ls", "ghost").error_line()
    assert "invalid amount" in cli("fs", "ls", "main", "-n", "-1").error_line()


# --- rm ---------------------------------------------------------------------------------------
def test_rm_stages_the_deletion_of_one_object(cli: Runner, project: Project) -> None:
    project.repo.put_object("main", "a.txt", b"a")
    project.repo.commit("main", "add")
    assert cli("fs", "rm", "main/a.txt", "--json").json()["paths"] == ["a.txt"]
    assert [(c.type, c.path) for c in project.repo.diff_uncommitted("main")] == [("removed", "a.txt")]
    assert project.repo.get_object("main@", "a.txt") == b"a"  # committed state untouched


def test_rm_of_a_folder_needs_recursive(cli: Runner, project: Project) -> None:
    for path in ("ds/a", "ds/sub/b", "keep.txt"):
        project.repo.put_object("main", path, b"x")
    assert "--recursive" in cli("fs", "rm", "main/ds").error_line()
    assert "--recursive" in cli("fs", "rm", "main/ds/").error_line()
    assert sorted(cli("fs", "rm", "main/ds", "-r", "--json").json()["paths"]) == ["ds/a", "ds/sub/b"]
    assert [e.path for e in project.repo.list_objects("main")] == ["keep.txt"]


def test_rm_of_missing_objects_or_non_branches_is_one_error_line(cli: Runner, project: Project) -> None:
    project.repo.put_object("main", "a.txt", b"a")
    project.repo.commit("main", "add")
    project.tag_create("v1", "main")
    assert "not found" in cli("fs", "rm", "main/nope").error_line()
    assert "no objects" in cli("fs", "rm", "main/nope/", "-r").error_line()
    assert "invalid branch name" in cli("fs", "rm", "main~0/a.txt").error_line()
    assert cli("fs", "rm", "v1/a.txt").error_line()
    assert project.repo.get_object("main", "a.txt") == b"a"


def test_upload_of_many_files_draws_a_progress_bar_on_stderr_only_for_a_terminal(
    cli: Runner, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(60):
        _write(tmp_path / "many" / f"f{i:02d}.txt", str(i))
    quiet = cli("fs", "upload", str(tmp_path / "many"), "main/quiet", "--json")
    assert quiet.stderr == ""  # not a terminal: no bar
    assert len(quiet.json()["objects"]) == 60
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats stderr as a terminal
    shown = cli("fs", "upload", str(tmp_path / "many"), "main/shown")
    assert "uploading" in shown.stderr and "60/60" in shown.stderr
    assert shown.stdout.startswith("uploaded 60 object(s)")
