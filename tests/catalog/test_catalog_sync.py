"""Sync: what gets indexed, incrementally and idempotently, on both store backends; rebuild
from nothing gives the same catalog as any sequence of incremental syncs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from catalog_support import (
    MODEL,
    PREPARED,
    RAW,
    VOLATILE,
    EventWriter,
    pipeline_commit,
    snapshot,
)

from lakeline import Project
from lakeline.catalog import schema
from lakeline.catalog.sync import SyncTuning, rebuild, sync
from lakeline.errors import StoreUnavailableError
from lakeline.names import PROVENANCE_PATH
from lakeline.store.base import ObjectStats, Repository


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def build_history(project: Project) -> dict[str, str]:
    """main: two pipeline runs; exp-b: a run on other data, merged back (a promotion); a tag;
    a commit by another tool; registry events. Returns the interesting commit ids."""
    repo = project.repo
    ids: dict[str, str] = {}
    ids["first"] = pipeline_commit(repo, "main", raw=b"id,x\n1,2\n", lr=0.1).commit_id
    ids["second"] = pipeline_commit(
        repo, "main", raw=b"id,x\n1,2\n", lr=0.05, metrics={"accuracy": 0.91}
    ).commit_id
    repo.create_branch("exp-b", "main")
    ids["exp"] = pipeline_commit(repo, "exp-b", raw=b"id,x\n1,2\n3,4\n", lr=0.2).commit_id
    ids["merge"] = repo.merge("exp-b", "main", metadata={"lakeline.kind": "promote"}).id
    repo.create_tag("classifier-v1.0.0", ids["second"])
    repo.create_tag("classifier-v1.1.0", ids["merge"])
    repo.create_branch("scratch", "main")
    repo.put_object("scratch", "notes/readme.txt", b"written by another tool")
    ids["foreign"] = repo.commit("scratch", "hand-made commit").id
    events = EventWriter(repo)
    events("promote", "classifier", "v1.0.0", {"commit_id": ids["second"], "tag": "classifier-v1.0.0"})
    events("promote", "classifier", "v1.1.0", {"commit_id": ids["merge"], "tag": "classifier-v1.1.0"})
    events("alias", "classifier", "v1.1.0", {"alias": "production", "previous_version": None})
    return ids


def test_sync_indexes_every_commit_with_parents_author_kind_and_metadata(project: Project) -> None:
    ids = build_history(project)
    result = project.sync_catalog()
    db = project.catalog_path
    all_commits = {c.id for b in project.repo.list_branches() for c in project.repo.log(b.name)}
    assert {r[0] for r in query(db, "SELECT id FROM commits")} == all_commits
    assert result.commits == len(all_commits) and result.total_commits == len(all_commits)
    merge = query(
        db, "SELECT parents, kind, metadata['lakeline.kind'] FROM commits WHERE id = ?", [ids["merge"]]
    )
    assert merge == [([project.repo.get_commit("main").parents[0], ids["exp"]], "promote", "promote")]
    first = query(
        db, "SELECT author, git_commit, git_dirty, message FROM commits WHERE id = ?", [ids["first"]]
    )
    assert first == [("alice@example.com", "a" * 40, False, "train lr=0.1")]
    assert query(db, "SELECT name, commit_id FROM branches ORDER BY name") == sorted(
        (b.name, b.commit_id) for b in project.repo.list_branches()
    )
    assert query(db, "SELECT name, model, version FROM tags ORDER BY name") == [
        ("classifier-v1.0.0", "classifier", "v1.0.0"),
        ("classifier-v1.1.0", "classifier", "v1.1.0"),
    ]


def test_objects_of_every_commit_match_the_store_listing(project: Project) -> None:
    build_history(project)
    project.sync_catalog()
    for (commit_id,) in query(project.catalog_path, "SELECT id FROM commits"):
        listed = sorted(
            (o.path, o.checksum, o.size_bytes)
            for o in project.repo.list_objects(commit_id)
            if isinstance(o, ObjectStats)
        )
        indexed = query(
            project.catalog_path,
            "SELECT path, checksum, size_bytes FROM objects WHERE commit_id = ? ORDER BY path",
            [commit_id],
        )
        assert indexed == listed


def test_params_are_typed_and_metrics_flattened_from_provenance(project: Project) -> None:
    commit = pipeline_commit(
        project.repo,
        "main",
        raw=b"a\n",
        lr=0.1,
        metrics={"accuracy": 0.93, "per_class": {"0": 0.9, "1": 0.96}, "note": "ok"},
        extra_params={"train.layers": [64, 32], "train.name": "lr", "train.early_stop": True},
    ).commit_id
    project.sync_catalog()
    db = project.catalog_path
    params = dict(
        (k, (json.loads(v), d))
        for k, v, d in query(db, "SELECT key, value, value_double FROM params WHERE commit_id = ?", [commit])
    )
    assert params["train.lr"] == (0.1, 0.1)
    assert params["train.seed"] == (42, 42.0)
    assert params["train.layers"] == ([64, 32], None)
    assert params["train.name"] == ("lr", None)
    assert params["train.early_stop"] == (True, None)  # booleans are not numbers
    metrics = dict(query(db, "SELECT key, value FROM metrics WHERE commit_id = ?", [commit]))
    assert metrics == {"accuracy": 0.93, "per_class.0": 0.9, "per_class.1": 0.96, "note": None}
    stages = query(db, "SELECT stage, cmd FROM stages WHERE commit_id = ? ORDER BY stage", [commit])
    assert stages == [("prepare", "python scripts/prepare.py"), ("train", "python scripts/train.py")]


def test_lineage_edges_are_indexed_as_recorded(project: Project) -> None:
    run = pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    project.sync_catalog()
    edges = query(
        project.catalog_path,
        "SELECT stage, src_path, src_hash, src_kind, dst_path, dst_hash FROM lineage_edges "
        "WHERE commit_id = ? AND src_kind = 'file' ORDER BY stage",
        [run.commit_id],
    )
    assert edges == [
        ("prepare", RAW, run.raw_hash, "file", PREPARED, run.prepared_hash),
        ("train", PREPARED, run.prepared_hash, "file", MODEL, run.model_hash),
    ]


def test_commits_by_other_tools_are_indexed_with_what_they_carry(project: Project) -> None:
    repo = project.repo
    repo.put_object("main", "data/x.csv", b"1\n")
    bare = repo.commit("main", "plain commit", metadata={"origin": "spark-job"}).id
    project.sync_catalog()
    row = query(
        project.catalog_path,
        "SELECT author, committer, kind, metadata, provenance_checksum, git_commit FROM commits WHERE id = ?",
        [bare],
    )
    assert row == [
        (
            repo.get_commit(bare).committer,
            repo.get_commit(bare).committer,
            None,
            {"origin": "spark-job"},
            None,
            None,
        )
    ]
    assert query(project.catalog_path, "SELECT count(*) FROM params WHERE commit_id = ?", [bare]) == [(0,)]
    assert query(project.catalog_path, "SELECT path FROM objects WHERE commit_id = ?", [bare]) == [
        ("data/x.csv",)
    ]


def test_a_commit_carrying_an_earlier_record_is_indexed_with_it(project: Project) -> None:
    # read_provenance(ref) semantics: the record as of the commit (the last pipeline run in it).
    run = pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    project.repo.put_object("main", "docs/notes.md", b"notes")
    later = project.repo.commit("main", "docs only").id
    project.sync_catalog()
    db = project.catalog_path
    checksum = project.repo.stat_object(run.commit_id, PROVENANCE_PATH).checksum
    assert query(db, "SELECT provenance_checksum FROM commits WHERE id = ?", [later]) == [(checksum,)]
    assert query(db, "SELECT count(*) FROM lineage_edges WHERE commit_id = ?", [later]) == [(5,)]


def test_second_sync_indexes_only_the_new_commits(project: Project) -> None:
    build_history(project)
    first = project.sync_catalog()
    again = project.sync_catalog()
    assert (again.commits, again.events, again.total_commits) == (0, 0, first.total_commits)
    new = pipeline_commit(project.repo, "exp-b", raw=b"id,x\n9,9\n", lr=0.3).commit_id
    third = project.sync_catalog()
    assert (third.commits, third.total_commits) == (1, first.total_commits + 1)
    assert query(project.catalog_path, "SELECT count(*) FROM commits WHERE id = ?", [new]) == [(1,)]


def test_syncing_twice_changes_no_table(project: Project) -> None:
    build_history(project)
    project.sync_catalog()
    before = snapshot(project.catalog_path, ignore={"catalog_info": ("value",)})
    project.catalog_path.with_name("catalog.duckdb.synced").unlink()  # force a full pass
    assert project.sync_catalog().commits == 0
    assert snapshot(project.catalog_path, ignore={"catalog_info": ("value",)}) == before


def test_rebuild_from_nothing_equals_incremental_syncs_table_by_table(
    project: Project, tmp_path: Path
) -> None:
    repo = project.repo
    events = EventWriter(repo)
    pipeline_commit(repo, "main", raw=b"r1\n", lr=0.1)
    project.sync_catalog()
    repo.create_branch("exp-a", "main")
    pipeline_commit(repo, "exp-a", raw=b"r2\n", lr=0.2)
    project.sync_catalog()
    merge = repo.merge("exp-a", "main").id
    repo.create_tag("classifier-v1.0.0", merge)
    events("promote", "classifier", "v1.0.0", {"commit_id": merge})
    project.sync_catalog()
    events(
        "deploy",
        "classifier",
        "v1.0.0",
        {
            "env": "prod",
            "traffic": 100,
            "mode": "full",
            "state": [{"version": "v1.0.0", "traffic": 100, "shadow": False}],
        },
    )
    repo.create_branch("tmp", "main")
    pipeline_commit(repo, "tmp", raw=b"r3\n", lr=0.3)
    project.sync_catalog()
    repo.delete_branch("tmp")  # its commit becomes unreachable: both catalogs must forget it
    pipeline_commit(repo, "main", raw=b"r4\n", lr=0.4)
    project.sync_catalog()

    fresh = tmp_path / "fresh" / "catalog.duckdb"
    fresh.parent.mkdir()
    rebuild(repo, fresh, backend="local", timeout=5)
    incremental, rebuilt = snapshot(project.catalog_path, ignore=VOLATILE), snapshot(fresh, ignore=VOLATILE)
    for table in schema.TABLES:
        assert incremental[table.name] == rebuilt[table.name], table.name
    assert (
        len(incremental["commits"])
        == sum(1 for _ in repo.log("main")) + sum(1 for _ in repo.log("lakeline-registry")) - 1
    )  # the root commit is shared


def test_catalog_rebuild_replaces_the_file_and_keeps_the_content(project: Project, cli: Any) -> None:
    build_history(project)
    project.sync_catalog()
    before = snapshot(project.catalog_path, ignore=VOLATILE)
    inode = project.catalog_path.stat().st_ino
    result = cli("catalog", "rebuild", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["rebuilt"] is True
    assert project.catalog_path.stat().st_ino != inode
    assert snapshot(project.catalog_path, ignore=VOLATILE) == before


def test_rebuild_works_after_the_catalog_file_is_deleted_or_garbage(project: Project, cli: Any) -> None:
    build_history(project)
    project.sync_catalog()
    before = snapshot(project.catalog_path, ignore=VOLATILE)
    project.catalog_path.write_bytes(b"not a database at all" * 100)
    broken = cli("sql", "select 1")
    assert broken.code == 1 and broken.stderr.startswith("lakeline: error: ")
    assert "rebuild" in broken.stderr and len(broken.stderr.splitlines()) == 1
    assert cli("catalog", "rebuild").code == 0
    assert snapshot(project.catalog_path, ignore=VOLATILE) == before
    project.catalog_path.unlink()
    assert cli("catalog", "sync").code == 0
    assert snapshot(project.catalog_path, ignore=VOLATILE) == before


def test_sync_after_a_deleted_branch_forgets_commits_nothing_reaches(project: Project) -> None:
    repo = project.repo
    repo.create_branch("exp-gone", "main")
    lost = pipeline_commit(repo, "exp-gone", raw=b"x\n", lr=0.9).commit_id
    project.sync_catalog()
    assert query(project.catalog_path, "SELECT count(*) FROM lineage_edges WHERE commit_id = ?", [lost]) == [
        (5,)
    ]
    repo.delete_branch("exp-gone")
    result = project.sync_catalog()
    assert result.pruned == 1
    for table in ("lineage_edges", "params", "metrics", "artifacts", "stages"):
        assert query(project.catalog_path, f"SELECT count(*) FROM {table} WHERE commit_id = ?", [lost]) == [
            (0,)
        ]
    assert query(project.catalog_path, "SELECT count(*) FROM commits WHERE id = ?", [lost]) == [(0,)]


def test_registry_events_fill_events_and_the_derived_tables(project: Project) -> None:
    repo = project.repo
    v1 = pipeline_commit(repo, "main", raw=b"a\n", lr=0.1, metrics={"accuracy": 0.8}).commit_id
    v2 = pipeline_commit(repo, "main", raw=b"b\n", lr=0.2, metrics={"accuracy": 0.9}).commit_id
    repo.create_tag("classifier-v1.0.0", v1)
    repo.create_tag("classifier-v1.1.0", v2)
    ev = EventWriter(repo)
    ev("promote", "classifier", "v1.0.0", {"commit_id": v1, "tag": "classifier-v1.0.0", "bump": "initial"})
    ev(
        "promote",
        "classifier",
        "1.1.0",
        {"commit_id": v2, "bump": "minor", "previous_version": "v1.0.0", "source_branch": "exp-b"},
        reason="better",
    )
    ev("alias", "classifier", "v1.0.0", {"alias": "production", "previous_version": None})
    ev("alias", "classifier", "v1.1.0", {"alias": "production", "previous_version": "v1.0.0"})
    ev("alias", "classifier", "v1.0.0", {"alias": "staging", "previous_version": None})
    state1 = [{"version": "v1.0.0", "traffic": 100, "shadow": False}]
    state2 = [
        {"version": "v1.0.0", "traffic": 80, "shadow": False},
        {"version": "v1.1.0", "traffic": 20, "shadow": False},
    ]
    ev("deploy", "classifier", "v1.0.0", {"env": "prod", "traffic": 100, "mode": "full", "state": state1})
    ev("deploy", "classifier", "v1.1.0", {"env": "prod", "traffic": 20, "mode": "canary", "state": state2})
    ev(
        "deploy",
        "classifier",
        "v1.1.0",
        {
            "env": "dev",
            "traffic": 100,
            "mode": "shadow",
            "state": [{"version": "v1.1.0", "traffic": 100, "shadow": True}],
        },
    )
    ev(
        "rollback",
        "classifier",
        "v1.0.0",
        {"env": "prod", "from_version": "v1.1.0", "state": state1, "restored_commit": None},
    )
    ev("retire", "classifier", "v1.0.0")
    ev("promote", "fraud", "v1.0.0", {"commit_id": v2, "tag": "fraud-v1.0.0"})  # its tag is missing
    project.sync_catalog()
    db = project.catalog_path
    assert query(db, "SELECT count(*) FROM events") == [(11,)]
    versions = query(
        db,
        "SELECT model, version, tag, commit_id, status, bump, source_branch, reason, metrics['accuracy'] "
        "FROM model_versions ORDER BY model, major, minor, patch",
    )
    assert versions == [
        ("classifier", "v1.0.0", "classifier-v1.0.0", v1, "retired", "initial", None, "", 0.8),
        ("classifier", "v1.1.0", "classifier-v1.1.0", v2, "active", "minor", "exp-b", "better", 0.9),
        ("fraud", "v1.0.0", "fraud-v1.0.0", v2, "active", None, None, "", 0.9),
    ]
    assert query(db, "SELECT model, alias, version FROM aliases ORDER BY alias") == [
        ("classifier", "production", "v1.1.0"),
        ("classifier", "staging", "v1.0.0"),
    ]
    history = query(
        db, "SELECT alias, version, previous_version FROM alias_history WHERE alias = 'production'"
    )
    assert history == [("production", "v1.0.0", None), ("production", "v1.1.0", "v1.0.0")]
    assert query(db, "SELECT env, version, traffic, shadow, mode FROM deployments ORDER BY env, version") == [
        ("dev", "v1.1.0", 100.0, True, "shadow"),
        ("prod", "v1.0.0", 100.0, False, "rollback"),
    ]
    models = query(db, "SELECT name, path, type, labels, latest_version, versions FROM models ORDER BY name")
    assert models == [
        ("classifier", MODEL, "model", ["sklearn", "tabular"], "v1.1.0", 2),
        ("fraud", None, None, None, "v1.0.0", 1),
    ]


def test_malformed_provenance_and_events_are_skipped_with_a_warning(project: Project) -> None:
    repo = project.repo
    repo.put_object("main", PROVENANCE_PATH, b"{not json")
    bad = repo.commit("main", "broken record", metadata={"lakeline.kind": "pipeline"}).id
    ev = EventWriter(repo)
    ev("promote", "classifier", "v1.0.0")
    repo.put_object(
        "lakeline-registry", "_lakeline/events/20990101T000000000000Z-x.json", b'{"schema": "other"}'
    )
    repo.commit("lakeline-registry", "odd event")
    result = project.sync_catalog()
    assert any("not valid JSON" in w for w in result.warnings)
    assert any("not a lakeline.event/1 record" in w for w in result.warnings)
    db = project.catalog_path
    assert query(db, "SELECT kind, provenance_checksum FROM commits WHERE id = ?", [bad]) == [
        ("pipeline", None)
    ]
    assert query(db, "SELECT type, model FROM events") == [("promote", "classifier")]


class FailingRepository:
    """The real repository, except that reads fail after ``budget`` objects (a store going away)."""

    def __init__(self, repo: Repository, budget: int) -> None:
        self._repo = repo
        self.budget = budget

    def get_object(self, ref: str, path: str) -> bytes:
        self.budget -= 1
        if self.budget < 0:
            raise StoreUnavailableError("store went away")
        return self._repo.get_object(ref, path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repo, name)


def test_a_sync_that_fails_midway_leaves_the_previous_catalog(project: Project) -> None:
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    project.sync_catalog()
    before = snapshot(project.catalog_path)
    for lr in (0.2, 0.3, 0.4):
        pipeline_commit(project.repo, "main", raw=b"a\n", lr=lr)
    failing = FailingRepository(project.repo, budget=2)
    with pytest.raises(StoreUnavailableError):
        sync(failing, project.catalog_path, backend="local", timeout=5)  # type: ignore[arg-type]
    assert snapshot(project.catalog_path) == before
    assert project.sync_catalog().commits == 3


def test_quiet_sync_swallows_failures_and_the_next_sync_catches_up(project: Project) -> None:
    project.sync_catalog()
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    project.catalog_path.write_bytes(b"garbage")  # a sync now fails: quiet must not raise
    skipped = project.sync_catalog(quiet=True)
    assert skipped.skipped and "rebuild" in skipped.reason
    project.rebuild_catalog()
    assert query(project.catalog_path, "SELECT count(*) FROM commits") == [(2,)]


def change_many_files(repo: Repository) -> None:
    for i in range(12):
        repo.put_object("main", f"data/part-{i:03d}.csv", f"{i}\n".encode())
    repo.commit("main", "many files")
    repo.put_object("main", "data/part-000.csv", b"changed\n")
    repo.delete_object("main", "data/part-001.csv")
    repo.put_object("main", "data/new.csv", b"new\n")
    repo.commit("main", "change, delete, add")
    repo.delete_object("main", "data/part-002.csv")
    repo.commit("main", "delete only")
    repo.put_object("main", "data/part-001.csv", b"back again\n")
    repo.commit("main", "re-add a deleted path")


def assert_objects_match_the_store(repo: Repository, db: Path) -> None:
    for commit in repo.log("main"):
        listed = sorted(
            (o.path, o.checksum, o.size_bytes)
            for o in repo.list_objects(commit.id)
            if isinstance(o, ObjectStats)
        )
        indexed = query(
            db,
            "SELECT path, checksum, size_bytes FROM objects WHERE commit_id = ? ORDER BY path",
            [commit.id],
        )
        assert indexed == listed, commit.message


@pytest.mark.parametrize("keyframe_min", [1_000, 1], ids=["deltas", "keyframes"])
def test_large_trees_are_stored_as_deltas_and_read_back_whole(
    project: Project, tmp_path: Path, keyframe_min: int
) -> None:
    repo = project.repo
    change_many_files(repo)
    db = tmp_path / "inc" / "catalog.duckdb"
    db.parent.mkdir()
    tuning = SyncTuning(incremental_tree_min=1, keyframe_min=keyframe_min)
    sync(repo, db, backend="local", timeout=5, tuning=tuning)
    assert_objects_match_the_store(repo, db)
    bases = query(db, "SELECT count(*) FROM trees WHERE base_tree_id = tree_id")[0][0]
    # The empty root tree and the first 12 files are bases; later small changes are deltas,
    # unless the keyframe threshold is so low that a 3-path change makes a new base.
    assert bases == 2 if keyframe_min > 1 else bases >= 3
    # A commit after the sync is indexed from the stored delta (a new process has no cache).
    repo.put_object("main", "data/part-003.csv", b"later\n")
    repo.commit("main", "a later change")
    sync(repo, db, backend="local", timeout=5, tuning=tuning)
    assert_objects_match_the_store(repo, db)
    stored = query(
        db,
        "SELECT stored, entries FROM trees t JOIN branches b ON b.commit_id IN "
        "(SELECT id FROM commits WHERE tree_id = t.tree_id) WHERE b.name = 'main'",
    )
    assert stored[0][1] == 12
    if keyframe_min > 1:
        assert stored[0][0] < stored[0][1]  # only the differences are stored


def test_a_catalog_with_another_schema_version_is_recreated(project: Project) -> None:
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    project.sync_catalog()
    conn = duckdb.connect(str(project.catalog_path))
    conn.execute("UPDATE catalog_info SET value = '0' WHERE key = 'schema_version'")
    conn.execute("CREATE TABLE leftover_from_old_version (x INT)")
    conn.close()
    project.catalog_path.with_name("catalog.duckdb.synced").unlink()
    result = project.sync_catalog()
    assert result.rebuilt and result.commits == 2
    tables = {r[0] for r in query(project.catalog_path, "SELECT table_name FROM duckdb_tables()")}
    assert "leftover_from_old_version" not in tables


@pytest.mark.parametrize("backend", ["local", "lakefs"])
def test_sync_and_rebuild_agree_on_both_store_backends(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project: Project = request.getfixturevalue("project" if backend == "local" else "lakefs_project")
    ids = build_history(project)
    result = project.sync_catalog()
    assert result.events == 3
    db = project.catalog_path
    assert query(db, "SELECT count(*) FROM lineage_edges WHERE commit_id = ?", [ids["merge"]]) == [(5,)]
    assert query(db, "SELECT version, status FROM model_versions ORDER BY version") == [
        ("v1.0.0", "active"),
        ("v1.1.0", "active"),
    ]
    fresh = tmp_path / "again" / "catalog.duckdb"
    fresh.parent.mkdir()
    rebuild(project.repo, fresh, backend=backend, timeout=5)
    assert snapshot(fresh, ignore=VOLATILE) == snapshot(db, ignore=VOLATILE)
