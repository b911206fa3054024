"""The store commands on the lakeFS backend: `lakeline init --lakefs` against the lakeFS-API
test server (tests/lakefs_server), then the same commands users run on the embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import Runner

from lakeline.config import STATE_DIR


@pytest.fixture(scope="module")
def lakefs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.lakefs_server.server import LakeFSTestServer

    server = LakeFSTestServer(tmp_path_factory.mktemp("lakefs-cli")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lakefs_project(
    lakefs_server: Any, cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", lakefs_server.access_key_id)
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", lakefs_server.secret_access_key)
    root = tmp_path / "proj"
    root.mkdir()
    repo = f"cli-{tmp_path.name[-20:].lower().replace('_', '-')}".rstrip("-")
    url = lakefs_server.url
    body = cli("init", "--path", str(root), "--lakefs", url, "--repo", repo, "--json").json()
    assert (body["backend"], body["repository"], body["branch"]) == ("lakefs", repo, "main")
    monkeypatch.chdir(root)
    return root, lakefs_server.secret_access_key


def test_init_on_lakefs_keeps_secrets_out_of_config_and_output(
    cli: Runner, lakefs_project: tuple[Path, str]
) -> None:
    root, secret = lakefs_project
    config = (root / STATE_DIR / "config.yaml").read_text()
    assert "lakefs" in config and secret not in config
    assert secret not in cli("branch", "list", "--json").stdout


def test_store_commands_work_the_same_on_lakefs(
    cli: Runner, lakefs_project: tuple[Path, str], tmp_path: Path
) -> None:
    src = tmp_path / "ds"
    (src / "sub").mkdir(parents=True)
    (src / "a.csv").write_bytes(b"a,b\n1,2\n")
    (src / "sub" / "m.bin").write_bytes(bytes(range(256)))
    cli("branch", "create", "exp-a", "--json").json()
    uploaded = cli("fs", "upload", str(src), "exp-a/data", "--meta", "origin=test", "--json").json()
    assert sorted(o["path"] for o in uploaded["objects"]) == ["data/a.csv", "data/sub/m.bin"]
    assert [c["path"] for c in cli("diff", "exp-a", "--json").json()] == ["data/a.csv", "data/sub/m.bin"]
    assert cli("fs", "stat", "exp-a/data/a.csv", "--json").json()["metadata"] == {"origin": "test"}
    assert [e["path"] for e in cli("fs", "ls", "exp-a/data/", "--json").json()] == ["data/a.csv", "data/sub/"]

    from lakeline import Project

    with Project.open() as project:
        project.repo.commit("exp-a", "data")
    merge = cli("merge", "exp-a", "main", "--json").json()["commit"]
    assert len(merge["parents"]) == 2
    cli("tag", "create", "v1", "main", "--json")
    assert cli("log", "v1", "-n", "1", "--json").json()[0]["id"] == merge["id"]

    cli("fs", "download", "v1/data/", str(tmp_path / "out"))
    assert (tmp_path / "out" / "sub" / "m.bin").read_bytes() == bytes(range(256))
    assert cli("fs", "cat", "main/data/a.csv").stdout_bytes == b"a,b\n1,2\n"
    assert "not found" in cli("fs", "cat", "main/missing").error_line()
    assert "invalid branch name" in cli("branch", "create", "bad/name").error_line()
