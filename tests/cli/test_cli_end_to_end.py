"""The `lakeline` command as users run it: real processes, real files, real embedded store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from lakeline import Project


def _lakeline(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "LAKELINE_USER": "e2e@example.com"}
    env.pop("LAKELINE_PROJECT", None)
    return subprocess.run(
        [sys.executable, "-m", "lakeline", *args], cwd=cwd, capture_output=True, env=env, timeout=120
    )


def _json(cwd: Path, *args: str) -> Any:
    result = _lakeline(cwd, *args, "--json")
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_branch_upload_merge_download_round_trip(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    data = {"ds/a.csv": b"x,y\n1,2\n", "ds/img/p.bin": bytes(range(256)) * 40}
    for rel, content in data.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes(content)

    assert _json(work, "init")["branch"] == "main"
    _json(work, "branch", "create", "exp-data")
    uploaded = _json(work, "fs", "upload", "ds", "exp-data/data/")
    assert sorted(o["path"] for o in uploaded["objects"]) == ["data/a.csv", "data/img/p.bin"]
    assert [c["type"] for c in _json(work, "diff", "exp-data")] == ["added", "added"]

    with Project.open(work) as project:  # `lakeline commit` belongs to the pipeline area
        project.repo.commit("exp-data", "add data")

    merged = _json(work, "merge", "exp-data", "main", "-m", "bring data")["commit"]
    assert _json(work, "log", "-n", "1")[0]["id"] == merged["id"]

    _json(work, "fs", "download", "main/data/", "out")
    assert (work / "out" / "a.csv").read_bytes() == data["ds/a.csv"]
    assert (work / "out" / "img" / "p.bin").read_bytes() == data["ds/img/p.bin"]

    cat = _lakeline(work, "fs", "cat", "main/data/img/p.bin")
    assert cat.returncode == 0 and cat.stdout == data["ds/img/p.bin"]


def test_errors_from_a_real_process_are_one_line_and_exit_one(tmp_path: Path) -> None:
    outside = _lakeline(tmp_path, "fs", "ls")
    assert outside.returncode == 1
    assert outside.stderr.decode().splitlines() == [
        f"lakeline: error: no lakeline project at or above {tmp_path.resolve()}: run 'lakeline init' first"
    ]
    _json(tmp_path, "init")
    missing = _lakeline(tmp_path, "fs", "cat", "main/nothing.txt")
    lines = missing.stderr.decode().splitlines()
    assert missing.returncode == 1 and len(lines) == 1
    assert lines[0].startswith("lakeline: error: ") and "nothing.txt" in lines[0]
    assert missing.stdout == b""
