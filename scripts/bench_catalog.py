#!/usr/bin/env python
"""Benchmark the catalog: sync of N pipeline commits, sync after a small commit on a big
branch, lineage and impact over a generated 1M-edge graph, and `lakeline sql` end-to-end
latency against opening the file with duckdb.

    .venv/bin/python scripts/bench_catalog.py            # full size (10,000 commits, 1M edges)
    .venv/bin/python scripts/bench_catalog.py --quick    # small sizes, checks that it all works

Everything runs on the embedded store in a temporary folder, through the same functions
lakeline uses (`lakeline.catalog.sync`, `lakeline.catalog.lineage`, the `lakeline` CLI).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lakeline import Project
from lakeline.names import PROVENANCE_PATH


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# --- 1. sync of N commits with provenance ------------------------------------------------------------
def pipeline_record(i: int, raw_hash: str, model: bytes) -> dict[str, Any]:
    prepared_hash = md5(b"prepared" + raw_hash.encode())
    model_hash = md5(model)
    lr = round(0.001 * (i % 1000 + 1), 6)
    edges = [
        ("prepare", "data/raw.csv", raw_hash, "file", "data/prepared.parquet", prepared_hash),
        ("prepare", "params.yaml:prepare.test_size", "0.2", "param", "data/prepared.parquet", prepared_hash),
        ("train", "data/prepared.parquet", prepared_hash, "file", "models/model.pkl", model_hash),
        ("train", "params.yaml:train.lr", json.dumps(lr), "param", "models/model.pkl", model_hash),
        ("evaluate", "models/model.pkl", model_hash, "file", "metrics.json", md5(model + b"m")),
    ]
    keys = ("stage", "src_path", "src_hash", "src_kind", "dst_path", "dst_hash")
    return {
        "schema": "lakeline.provenance/1",
        "message": f"run {i}",
        "user": "bench@example.com",
        "git": {"commit": f"{i:040x}", "dirty": False},
        "stages": {s: {"cmd": f"python scripts/{s}.py"} for s in ("prepare", "train", "evaluate")},
        "params": {"prepare.test_size": 0.2, "train.lr": lr, "train.seed": 42},
        "metrics": {"accuracy": 0.8 + (i % 100) / 1000, "recall": 0.7 + (i % 50) / 1000},
        "artifacts": {"classifier": {"path": "models/model.pkl", "type": "model", "hash": model_hash}},
        "lineage": [dict(zip(keys, e, strict=True)) for e in edges],
    }


def bench_sync(root: Path, commits: int) -> dict[str, Any]:
    Project.init(root).close()
    project = Project.open(root)
    repo = project.repo
    start = time.perf_counter()
    raw_hash = md5(b"raw")
    for i in range(commits):
        model = f"model {i}".encode()
        repo.put_object("main", "models/model.pkl", model)
        record = pipeline_record(i, raw_hash, model)
        repo.put_object("main", PROVENANCE_PATH, json.dumps(record, sort_keys=True).encode())
        repo.commit("main", f"run {i}", metadata={"lakeline.kind": "pipeline"})
        if i % 500 == 0:
            repo.create_tag(f"classifier-v1.{i // 500}.0", "main")
    made = time.perf_counter() - start
    full = project.sync_catalog()
    repo.put_object("main", "models/model.pkl", b"one more")
    repo.commit("main", "one more")
    one, _ = timed(project.sync_catalog, 1)
    noop, _ = timed(project.sync_catalog, 5)
    project.close()
    return {
        "commits": full.commits,
        "make_commits_s": made,
        "full_sync_s": full.seconds,
        "commits_per_s": full.commits / full.seconds,
        "sync_one_new_commit_s": one,
        "noop_sync_s": noop,
        "catalog_mb": (root / ".lakeline" / "catalog.duckdb").stat().st_size / 1e6,
    }


# --- 1b. one small commit on a big branch ---------------------------------------------------------
def bench_big_tree(root: Path, objects: int) -> dict[str, Any]:
    """Sync after a 10-file commit on a branch of ``objects`` objects (stored as a delta)."""
    from lakeline.store.base import Upload

    Project.init(root).close()
    project = Project.open(root)
    repo = project.repo
    files = root / "files"
    files.mkdir()
    uploads = []
    for i in range(objects):
        path = files / f"{i:07d}.csv"
        path.write_bytes(b"%d\n" % i)
        uploads.append(Upload(f"data/{i // 1000:04d}/{i:07d}.csv", path))
    start = time.perf_counter()
    repo.put_objects("main", uploads)
    repo.commit("main", f"{objects} objects")
    made = time.perf_counter() - start
    first = project.sync_catalog()
    for i in range(10):
        repo.put_object("main", f"data/changed-{i}.csv", b"new %d\n" % i)
    start = time.perf_counter()
    repo.commit("main", "ten files")
    commit_s = time.perf_counter() - start
    # A fresh process's view: nothing cached in memory, the parent tree only in the catalog.
    project.close()
    project = Project.open(root)
    small = project.sync_catalog()
    stored = project.sql(
        "select stored, entries from trees t join commits c on c.tree_id = t.tree_id "
        "join branches b on b.commit_id = c.id where b.name = 'main'",
        sync=False,
    ).records[0]
    project.close()
    return {
        "objects": objects,
        "make_s": made,
        "first_sync_s": first.seconds,
        "store_commit_of_10_files_s": commit_s,
        "sync_after_10_file_commit_s": small.seconds,
        "rows_stored_for_that_tree": stored[0],
        "objects_in_that_tree": stored[1],
    }


# --- 2. lineage and impact over a generated graph ----------------------------------------------------
def build_graph(db: Path, commits: int, edges_per_commit: int) -> dict[str, Any]:
    """A catalog with ``commits`` commits, each a chain of stages over shared raw data.

    Each commit runs ``depth`` stages; stage k reads the previous stage's output plus
    ``params`` params; raw data is shared by groups of 100 commits, so impact of one raw file
    reaches 100 commits and all their stages."""
    import duckdb

    from lakeline.catalog.schema import hash_key
    from lakeline.catalog.sync import ensure_schema

    params = 4
    depth = edges_per_commit // (params + 1)
    conn = duckdb.connect(str(db))
    ensure_schema(conn, "bench", "local")
    conn.execute(
        f"""
        INSERT INTO commits (id, seq, parents, author, committer, time, message, metadata, kind,
                             generation, meta_range_id, tree_id)
        SELECT sha256('c' || i), i, [], 'bench', 'bench', now(), 'run ' || i, MAP {{}}, 'pipeline', i,
               'mr' || i, 'mr' || i
        FROM range(1, {commits + 1}) t(i)
        """
    )
    conn.execute(
        f"""
        INSERT INTO lineage_edges
        WITH c AS (SELECT i AS seq, sha256('c' || i) AS commit_id FROM range(1, {commits + 1}) t(i)),
        s AS (SELECT k FROM range(1, {depth + 1}) t(k)),
        p AS (SELECT j FROM range(0, {params + 1}) t(j))
        SELECT c.commit_id, c.seq, 'stage' || s.k,
            CASE WHEN p.j = 0 THEN (CASE WHEN s.k = 1 THEN 'data/raw.csv' ELSE 'data/s' || (s.k - 1) END)
                 ELSE 'params.yaml:s' || s.k || '.p' || p.j END,
            CASE WHEN p.j = 0 THEN (CASE WHEN s.k = 1 THEN md5('raw' || (c.seq // 100))
                                         ELSE md5('out' || c.seq || '/' || (s.k - 1)) END)
                 ELSE (c.seq % 7 + p.j)::VARCHAR END,
            CASE WHEN p.j = 0 THEN 'file' ELSE 'param' END,
            'data/s' || s.k, md5('out' || c.seq || '/' || s.k), NULL, NULL
        FROM c, s, p
        ORDER BY c.seq, s.k, p.j
        """
    )
    # The join keys are lakeline's own (BLAKE2b), computed in Python as sync does.
    hashes = [
        h
        for (h,) in conn.execute(
            "SELECT src_hash FROM lineage_edges UNION SELECT dst_hash FROM lineage_edges"
        ).fetchall()
    ]
    conn.execute(
        "CREATE TEMP TABLE keys AS SELECT unnest(?::VARCHAR[]) AS h, unnest(?::BIGINT[]) AS k",
        [hashes, [hash_key(h) for h in hashes]],
    )
    conn.execute(
        "UPDATE lineage_edges SET src_key = (SELECT k FROM keys WHERE h = src_hash AND src_kind <> 'param'), "
        "dst_key = (SELECT k FROM keys WHERE h = dst_hash)"
    )
    conn.execute(
        f"""
        INSERT INTO tags SELECT 'model-v1.' || i || '.0', sha256('c' || (i * 10)), 'model', 'v1.' || i || '.0'
        FROM range(1, {commits // 10 + 1}) t(i)
        """
    )
    from lakeline.catalog.derived import derive_tables

    derive_tables(conn)
    edges = conn.execute("SELECT count(*) FROM lineage_edges").fetchall()[0][0]
    conn.execute("CHECKPOINT")
    conn.close()
    return {"edges": edges, "commits": commits, "depth": depth}


def bench_graph(db: Path, commits: int, edges_per_commit: int, repeat: int) -> dict[str, Any]:
    import duckdb

    from lakeline.catalog.connection import open_reader
    from lakeline.catalog.lineage import Target, downstream, upstream

    start = time.perf_counter()
    built = build_graph(db, commits, edges_per_commit)
    built["build_s"] = time.perf_counter() - start
    depth = built["depth"]
    middle = commits // 2
    commit_id = hashlib.sha256(f"c{middle}".encode()).hexdigest()
    with open_reader(db, timeout=10) as conn:
        assert isinstance(conn, duckdb.DuckDBPyConnection)
        target = Target("bench", f"data/s{depth}", commit_id, commit_id)
        lineage_s, graph = timed(lambda: upstream(conn, None, target), repeat)  # type: ignore[arg-type]
        raw = Target("bench", "data/raw.csv", commit_id, commit_id)
        impact_s, report = timed(lambda: downstream(conn, None, raw), repeat)  # type: ignore[arg-type]
    assert len(graph.edges) == edges_per_commit // (4 + 1) * 5, len(graph.edges)
    assert len(report.commits) == 100 or commits < 100, len(report.commits)
    return {
        **built,
        "lineage_ms": lineage_s * 1000,
        "lineage_edges_found": len(graph.edges),
        "impact_ms": impact_s * 1000,
        "impact_commits": len(report.commits),
        "impact_versions": len(report.model_versions),
        "impact_hashes": len(report.hashes),
    }


# --- 3. `lakeline sql` end to end --------------------------------------------------------------------
def bench_sql(root: Path, repeat: int) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("lakeline")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "lakeline"]
    query = "select count(*) from commits"
    db = root / ".lakeline" / "catalog.duckdb"
    raw_duckdb = [
        sys.executable,
        "-c",
        f"import duckdb; print(duckdb.connect({str(db)!r}, read_only=True).sql({query!r}).fetchall())",
    ]

    def run(argv: list[str]) -> Callable[[], None]:
        return lambda: subprocess.run(argv, cwd=root, check=True, capture_output=True)

    sql_nosync, _ = timed(run([*cli, "sql", "--no-sync", query]), repeat)
    sql_sync, _ = timed(run([*cli, "sql", query]), repeat)
    plain, _ = timed(run(raw_duckdb), repeat)
    python, _ = timed(run([sys.executable, "-c", "pass"]), repeat)
    return {
        "lakeline_sql_no_sync_ms": sql_nosync * 1000,
        "lakeline_sql_ms": sql_sync * 1000,
        "python_duckdb_open_query_ms": plain * 1000,
        "python_startup_ms": python * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: check the benchmark works")
    parser.add_argument("--commits", type=int, help="pipeline commits to sync (default 10000; quick 200)")
    parser.add_argument(
        "--graph-commits", type=int, help="commits in the lineage graph (default 20000; quick 2000)"
    )
    parser.add_argument(
        "--only", choices=("sync", "bigtree", "graph", "sql"), action="append", help="run only these parts"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    commits = args.commits or (200 if args.quick else 10_000)
    graph_commits = args.graph_commits or (2_000 if args.quick else 20_000)
    repeat = 3 if args.quick else 7
    parts = set(args.only or ("sync", "bigtree", "graph", "sql"))
    big_objects = 20_000 if args.quick else 200_000
    work = Path(tempfile.mkdtemp(prefix="lakeline-bench-catalog-"))
    results: dict[str, Any] = {"quick": args.quick, "cpus": os.cpu_count()}
    try:
        os.environ.setdefault("LAKELINE_USER", "bench@example.com")
        root = work / "proj"
        root.mkdir()
        if parts & {"sync", "sql"}:
            results["sync"] = bench_sync(root, commits)
        if "bigtree" in parts:
            (work / "big").mkdir()
            results["bigtree"] = bench_big_tree(work / "big", big_objects)
        if "graph" in parts:
            results["graph"] = bench_graph(work / "graph.duckdb", graph_commits, 50, repeat)
        if "sql" in parts:
            results["sql"] = bench_sql(root, repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for part, figures in results.items():
        if isinstance(figures, dict):
            print(f"## {part}")
            for key, value in figures.items():
                print(f"  {key:32} {value:,.2f}" if isinstance(value, float) else f"  {key:32} {value}")


if __name__ == "__main__":
    main()
