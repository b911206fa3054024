"""The store operations of the Python API (`Project.upload`, `download`, ...) and lakeline.transfer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lakeline import Project
from lakeline.errors import InvalidPathError
from lakeline.store.base import ObjectStats
from lakeline.transfer import TransferProgress, plan_download


def _stats(path: str) -> ObjectStats:
    return ObjectStats(path=path, checksum="0" * 64, size_bytes=1, mtime=0)


def _make_folder(root: Path, count: int) -> dict[str, bytes]:
    files = {f"part-{i // 100:02d}/f{i:05d}.txt": f"row {i}\n".encode() for i in range(count)}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def test_folder_upload_reports_progress_in_batches_up_to_the_total(project: Project, tmp_path: Path) -> None:
    files = _make_folder(tmp_path / "ds", 600)
    reports: list[TransferProgress] = []
    stats = project.upload(tmp_path / "ds", "main/ds/", progress=reports.append)
    assert [s.path for s in stats] == [f"ds/{rel}" for rel in sorted(files)]
    assert len(reports) > 1  # the bar moves while a big folder uploads
    assert [r.files_done for r in reports] == sorted(r.files_done for r in reports)
    total = sum(len(d) for d in files.values())
    assert reports[-1] == TransferProgress(600, 600, total, total)
    assert project.repo.get_object("main", "ds/part-05/f00599.txt") == b"row 599\n"


def test_folder_download_reports_progress_and_returns_stats_in_listing_order(
    project: Project, tmp_path: Path
) -> None:
    files = _make_folder(tmp_path / "ds", 120)
    project.upload(tmp_path / "ds", "main/ds")
    reports: list[TransferProgress] = []
    stats = project.download("main/ds/", tmp_path / "out", progress=reports.append)
    assert [s.path for s in stats] == [f"ds/{rel}" for rel in sorted(files)]
    assert reports[-1].files_done == 120 and len(reports) == 120
    for rel, data in files.items():
        assert (tmp_path / "out" / rel).read_bytes() == data


def test_cat_streams_into_any_binary_file_and_counts_bytes(project: Project) -> None:
    data = b"\x00" * (3 << 20) + b"end"
    project.repo.put_object("main", "big.bin", data)
    out = io.BytesIO()
    assert project.cat("main/big.bin", out) == len(data)
    assert out.getvalue() == data


def test_branch_create_defaults_to_the_current_branch(project: Project) -> None:
    project.branch_create("exp-a")
    project.repo.put_object("exp-a", "x", b"x")
    commit = project.repo.commit("exp-a", "x")
    project.set_current_branch("exp-a")
    assert project.branch_create("exp-b").commit_id == commit.id


def test_uncommitted_diff_honours_amount(project: Project) -> None:
    for i in range(5):
        project.repo.put_object("main", f"f{i}", b"x")
    assert [c.path for c in project.diff(amount=2)] == ["f0", "f1"]


def test_writes_keep_derived_state_in_step(project: Project, tmp_path: Path) -> None:
    calls: list[str] = []
    project.after_write = lambda: calls.append("synced")  # type: ignore[method-assign]
    (tmp_path / "a.txt").write_text("a")
    project.upload(tmp_path / "a.txt", "main/a.txt")
    project.repo.commit("main", "a")
    project.branch_create("exp-a")
    project.tag_create("v1", "main")
    project.rm("main/a.txt")
    project.branch_reset("main")
    project.tag_delete("v1")
    project.branch_delete("exp-a")
    assert len(calls) == 7


@pytest.mark.parametrize(
    ("prefix", "path"),
    [
        ("ds/", "ds/../../etc/passwd"),
        ("ds/", "ds//etc/passwd"),
        ("", "../x"),
        ("ds/", "ds/./x"),
        ("", "a\\..\\b"),
    ],
)
def test_download_plan_refuses_untrusted_store_paths(prefix: str, path: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidPathError, match="refusing to download"):
        plan_download([_stats("ds/ok.txt"), _stats(path)], prefix, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_download_plan_maps_store_paths_below_the_destination(tmp_path: Path) -> None:
    plan = plan_download([_stats("ds/a/b.txt"), _stats("_lakeline/provenance.json")], "", tmp_path / "out")
    assert [(d.stats.path, d.dest) for d in plan] == [("ds/a/b.txt", tmp_path / "out" / "ds" / "a" / "b.txt")]
