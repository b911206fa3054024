"""A planted secret never leaks: not in CLI output (success or failure), logs at DEBUG, the
project's .lakeline/ (config, catalog), provenance, or anything else stored in lakeFS."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli

from tests.lakefs_server import LakeFSTestServer

SECRET = "SENTINEL-Secret-4c1f9e"
KEY_ID = "AKIASENTINELKEY"
LAKELINE = Path(sys.executable).with_name("lakeline")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LakeFSTestServer]:
    with LakeFSTestServer(tmp_path / "server", access_key_id=KEY_ID, secret_access_key=SECRET) as running:
        yield running


@pytest.fixture
def dvc_project(tmp_path: Path) -> Path:
    """A git + DVC project with a one-stage pipeline (no data set download, no ML imports)."""
    root = tmp_path / "proj"
    root.mkdir()
    stage = "    cmd: python -c \"open('out.txt','w').write('made')\"\n    outs:\n      - out.txt\n"
    (root / "dvc.yaml").write_text("stages:\n  make:\n" + stage)
    env = {**os.environ, "PATH": f"{LAKELINE.parent}{os.pathsep}{os.environ['PATH']}"}
    for command in (
        ["git", "init", "-q"],
        ["git", "config", "user.email", "tester@example.com"],
        ["git", "config", "user.name", "tester"],
        [str(LAKELINE.with_name("dvc")), "init", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "pipeline"],
    ):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    return root


def lakeline(
    root: Path, *args: str, secret: str = SECRET, key_id: str = KEY_ID
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{LAKELINE.parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(root.parent / "home"),
        "LAKELINE_LAKEFS_ACCESS_KEY_ID": key_id,
        "LAKELINE_LAKEFS_SECRET_ACCESS_KEY": secret,
    }
    return subprocess.run(
        [str(LAKELINE), *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def all_text_in(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


def in_process(
    capsys: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    *args: str,
    secret: str = SECRET,
) -> tuple[int, str, str]:
    """`lakeline ARGS` through the console entry point in this process (cheaper than a spawn)."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("LAKELINE_LAKEFS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("LAKELINE_LAKEFS_SECRET_ACCESS_KEY", secret)
    result = run_cli(capsys, *args)
    return result.code, result.stdout, result.stderr


@pytest.mark.slow
def test_secret_appears_nowhere_after_init_run_and_failures(
    server: LakeFSTestServer,
    dvc_project: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outputs: list[str] = []
    for args in (["init", "--lakefs", server.url, "--repo", "secrets-demo"], ["run", "-m", "pipeline run"]):
        done = lakeline(dvc_project, *args)  # real processes: what a user's terminal shows
        assert done.returncode == 0, done.stderr
        outputs.extend([done.stdout, done.stderr])
    code, out, err = in_process(capsysbinary, monkeypatch, dvc_project, "log", "--json")
    assert code == 0 and json.loads(out)[0]["message"] == "pipeline run"
    outputs.extend([out, err])
    code, out, err = in_process(capsysbinary, monkeypatch, dvc_project, "fs", "cat", "main/missing.txt")
    assert code != 0 and err.startswith("lakeline: error: ")
    outputs.extend([out, err])
    code, out, err = in_process(
        capsysbinary, monkeypatch, dvc_project, "branch", "list", secret="SENTINEL-Secret-wrong"
    )
    assert code != 0 and "lakeFS 401" in err
    outputs.extend([out, err])

    for text in outputs:
        assert "SENTINEL" not in text
    state = dvc_project / ".lakeline"
    assert (state / "config.yaml").exists()
    for path, data in all_text_in(state):
        assert SECRET.encode() not in data, path
    assert_not_in_catalog(state / "catalog.duckdb")
    assert_not_in_store(dvc_project)


def assert_not_in_catalog(catalog: Path) -> None:
    if not catalog.exists():
        return
    import duckdb

    with duckdb.connect(str(catalog), read_only=True) as conn:
        tables = [
            row[0] for row in conn.execute("select table_name from information_schema.tables").fetchall()
        ]
        assert tables
        for table in tables:
            dump = json.dumps(conn.execute(f'select * from "{table}"').fetchall(), default=str)
            assert SECRET not in dump, table


def assert_not_in_store(project_root: Path) -> None:
    """Every object and commit of every branch, the provenance record included."""
    from lakeline import Project

    env = {"LAKELINE_LAKEFS_ACCESS_KEY_ID": KEY_ID, "LAKELINE_LAKEFS_SECRET_ACCESS_KEY": SECRET}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        with Project.open(project_root) as project:
            repo = project.repo
            provenance = project.read_provenance("main")
            assert provenance is not None and provenance["message"] == "pipeline run"
            for branch in repo.list_branches():
                for commit in repo.log(branch.name):
                    assert SECRET not in json.dumps([commit.message, dict(commit.metadata), commit.committer])
                for item in repo.list_objects(branch.name):
                    assert SECRET.encode() not in repo.get_object(branch.name, item.path), item.path
                    assert SECRET not in json.dumps(dict(getattr(item, "metadata", {})))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_debug_logs_of_the_lakefs_backend_hold_no_secret(server: LakeFSTestServer, tmp_path: Path) -> None:
    from lakeline.store.lakefs import LakeFSStore

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    chatty = [logging.getLogger(name) for name in ("urllib3", "lakefs_sdk")]
    levels = [logger.level for logger in chatty]
    try:
        with LakeFSStore(endpoint=server.url, access_key_id=KEY_ID, secret_access_key=SECRET) as store:
            # lakefs-sdk quiets these loggers when its client is built; turn them fully on.
            for logger in chatty:
                logger.setLevel(logging.DEBUG)
            repo = store.create_repository("logged")
            repo.put_object("main", "a.txt", b"a", metadata={"k": "v"})
            repo.commit("main", "c")
            repo.download_object("main", "a.txt", tmp_path / "a.txt")
            with pytest.raises(Exception):  # noqa: B017 - any failure path, logged
                repo.get_object("main", "missing")
            assert repr(store) and SECRET not in repr(store) and SECRET not in repr(store.client.settings)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for logger, level in zip(chatty, levels, strict=True):
            logger.setLevel(level)
    logged = buffer.getvalue()
    assert "/api/v1/repositories/logged" in logged  # the capture did see the traffic
    assert SECRET not in logged
    assert KEY_ID + ":" not in logged
