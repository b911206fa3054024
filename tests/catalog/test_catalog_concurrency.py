"""Several lakeline processes on one catalog: syncs serialize, readers wait for writers, an
automatic sync that cannot get the catalog skips, a killed sync leaves a usable catalog, and
nothing ends in a lock error or a corrupted file. Every process here is a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from catalog_support import VOLATILE, pipeline_commit, snapshot

from lakeline import Project
from lakeline.catalog import connection
from lakeline.catalog.connection import CatalogBusyError, catalog_lock
from lakeline.catalog.sync import rebuild
from lakeline.errors import CatalogError

pytestmark = pytest.mark.xdist_group("catalog-processes")  # keep the process-heavy tests on one worker

SUPPORT = str(Path(__file__).parent)


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SUPPORT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def lakeline(*args: str) -> subprocess.Popen[str]:
    return spawn("import sys; from lakeline.cli import main; main(sys.argv[1:])", *args)


HOLD_LOCK = """
    import sys, time
    from pathlib import Path
    from lakeline.catalog.connection import catalog_lock
    with catalog_lock(Path(sys.argv[1]), exclusive=True, timeout=10):
        print("locked", flush=True)
        sys.stdin.readline() if sys.argv[2] == "stdin" else time.sleep(float(sys.argv[2]))
"""


def wait_for_line(proc: subprocess.Popen[str], expected: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == expected, (line, proc.stderr.read() if proc.stderr else "")


def test_concurrent_processes_sync_query_and_commit_without_errors(project: Project, tmp_path: Path) -> None:
    pipeline_commit(project.repo, "main", raw=b"seed\n", lr=0.0)
    worker = """
        import sys
        from lakeline import Project
        with Project.open(sys.argv[1]) as project:
            for i in range(int(sys.argv[2])):
                project.sync_catalog()
                rows = project.sql("select count(*) as n from commits", sync=False).rows
                assert rows[0]["n"] >= 2, rows
                project.lineage("models/model.pkl@main")
        print("ok", flush=True)
    """
    committer = """
        import sys
        from catalog_support import pipeline_commit
        from lakeline import Project
        with Project.open(sys.argv[1]) as project:
            for i in range(int(sys.argv[2])):
                pipeline_commit(project.repo, "main", raw=b"data %d\\n" % i, lr=i / 10)
                result = project.sync_catalog(quiet=True)
                assert result.skipped or result.total_commits >= 2, result
        print("ok", flush=True)
    """
    root = str(project.root)
    procs = [spawn(worker, root, "4") for _ in range(3)] + [spawn(committer, root, "5")]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    project.sync_catalog()
    fresh = tmp_path / "fresh" / "catalog.duckdb"
    fresh.parent.mkdir()
    rebuild(project.repo, fresh, backend="local", timeout=5)
    assert snapshot(project.catalog_path, ignore=VOLATILE) == snapshot(fresh, ignore=VOLATILE)
    assert len(snapshot(fresh)["commits"]) == 7


def test_a_reader_waits_for_the_writer_to_finish(project: Project) -> None:
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    project.sync_catalog()
    with catalog_lock(project.catalog_path, exclusive=True, timeout=5):
        reader = lakeline("sql", "--no-sync", "--json", "select count(*) as n from commits")
        time.sleep(1.0)
        assert reader.poll() is None  # still waiting for the lock
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert json.loads(out) == [{"n": 2}]


def test_a_writer_waits_for_readers_to_finish(project: Project) -> None:
    project.sync_catalog()
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    with project.catalog(sync=False) as conn:
        syncer = lakeline("catalog", "sync", "--json")
        time.sleep(1.0)
        assert syncer.poll() is None
        assert conn.execute("select count(*) from commits").fetchall() == [(1,)]
    out, err = syncer.communicate(timeout=60)
    assert syncer.returncode == 0, err
    assert json.loads(out)["commits"] == 1


def test_automatic_sync_skips_when_another_process_holds_the_catalog(
    project: Project, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    project.sync_catalog()
    monkeypatch.setattr(connection, "AUTO_SYNC_SECONDS", 0.2)
    monkeypatch.setattr(connection, "WAIT_SECONDS", 0.3)
    holder = spawn(HOLD_LOCK, str(project.catalog_path), "stdin")
    try:
        wait_for_line(holder, "locked")
        started = time.monotonic()
        result = project.sync_catalog(quiet=True)
        assert result.skipped and "busy" in result.reason
        assert time.monotonic() - started < 5
        with pytest.raises(CatalogBusyError):
            project.sync_catalog()
        busy = cli("catalog", "sync")
        assert busy.code == 1 and busy.stderr.startswith("lakeline: error: the catalog ")
        assert "is busy" in busy.stderr and len(busy.stderr.splitlines()) == 1
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    assert not project.sync_catalog().skipped


def test_syncing_while_this_process_reads_is_refused_not_deadlocked(project: Project) -> None:
    project.sync_catalog()
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    with project.catalog(sync=False):
        with pytest.raises(CatalogError, match="already open in this process"):
            project.sync_catalog()
        assert project.sync_catalog(quiet=True).skipped
    assert project.sync_catalog().commits == 1


def test_a_sync_killed_midway_leaves_a_catalog_the_next_sync_completes(
    project: Project, tmp_path: Path
) -> None:
    repo = project.repo
    for i in range(60):
        pipeline_commit(repo, "main", raw=b"r%d\n" % i, lr=i / 100)
    syncer = spawn(
        """
        import sys
        from lakeline import Project
        with Project.open(sys.argv[1]) as project:
            project.sync_catalog()
        """,
        str(project.root),
    )
    lock = project.catalog_path.with_name("catalog.lock")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not project.catalog_path.exists():
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the indexing of 61 commits
    os.kill(syncer.pid, signal.SIGKILL)
    syncer.communicate(timeout=30)
    assert lock.exists()
    result = project.sync_catalog()
    assert result.total_commits == 61
    fresh = tmp_path / "fresh" / "catalog.duckdb"
    fresh.parent.mkdir()
    rebuild(repo, fresh, backend="local", timeout=5)
    assert snapshot(project.catalog_path, ignore=VOLATILE) == snapshot(fresh, ignore=VOLATILE)


def test_a_catalog_held_by_another_program_is_one_clear_error(project: Project, cli: Any) -> None:
    project.sync_catalog()
    other = spawn(
        """
        import sys, duckdb
        conn = duckdb.connect(sys.argv[1])
        print("open", flush=True)
        sys.stdin.readline()
        """,
        str(project.catalog_path),
    )
    try:
        wait_for_line(other, "open")
        result = cli("sql", "--no-sync", "select 1")
        assert result.code == 1
        assert "held by another program" in result.stderr and len(result.stderr.splitlines()) == 1
    finally:
        other.kill()
        other.communicate(timeout=30)
