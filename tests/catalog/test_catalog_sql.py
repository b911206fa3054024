"""`lakeline sql`: read-only queries in every output format, and every way out of read-only
(files, attachments, extensions, settings, writes) refused with one line, changing nothing."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from catalog_support import pipeline_commit

from lakeline import Project
from lakeline.errors import CatalogError, InvalidPathError, PermissionDeniedError


@pytest.fixture
def synced(project: Project) -> Project:
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1, metrics={"accuracy": 0.81})
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.2, metrics={"accuracy": 0.92})
    project.sync_catalog()
    return project


def state_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and mtime: equal before and after means untouched."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return out


QUERY = "select key, value from metrics join commits on commits.id = metrics.commit_id order by value"


def test_sql_prints_a_table_by_default(synced: Project, cli: Any) -> None:
    result = cli("sql", QUERY)
    assert result.code == 0, result.stderr
    assert "accuracy" in result.stdout and "0.81" in result.stdout and "0.92" in result.stdout


def test_sql_json_keeps_types_and_maps(synced: Project, cli: Any) -> None:
    rows = cli("sql", "--json", "select version, metrics, seq from model_versions, commits limit 0").json()
    assert rows == []
    rows = cli("sql", "--json", QUERY).json()
    assert rows == [{"key": "accuracy", "value": 0.81}, {"key": "accuracy", "value": 0.92}]
    meta = cli(
        "sql", "--json", "select metadata, parents from commits where kind = 'pipeline' order by seq"
    ).json()
    assert meta[0]["metadata"]["lakeline.kind"] == "pipeline"
    assert isinstance(meta[0]["parents"], list) and len(meta[0]["parents"]) == 1


def test_sql_csv(synced: Project, cli: Any) -> None:
    out = cli("sql", "--csv", QUERY).stdout
    assert list(csv.reader(io.StringIO(out))) == [
        ["key", "value"],
        ["accuracy", "0.81"],
        ["accuracy", "0.92"],
    ]


def test_sql_parquet_is_written_by_lakeline_with_the_column_types(
    synced: Project, cli: Any, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    dest = tmp_path / "out" / "metrics.parquet"
    dest.parent.mkdir()
    result = cli(
        "sql", "--parquet", str(dest), "select key, value, time from metrics join commits on id = commit_id"
    )
    assert result.code == 0, result.stderr
    assert "wrote 2 rows" in result.stdout
    table = pq.read_table(dest)
    assert table.column_names == ["key", "value", "time"]
    assert str(table.schema.field("value").type) == "double"
    assert str(table.schema.field("time").type).startswith("timestamp")
    assert sorted(table.column("value").to_pylist()) == [0.81, 0.92]
    assert [p.name for p in dest.parent.iterdir()] == ["metrics.parquet"]  # no temp file left


def test_sql_reads_the_query_from_a_file(synced: Project, cli: Any, tmp_path: Path) -> None:
    query_file = tmp_path / "q.sql"
    query_file.write_text("-- the best run\nselect max(value) as best from metrics;\n")
    assert cli("sql", "-f", str(query_file), "--json").json() == [{"best": 0.92}]


def test_sql_needs_exactly_one_of_query_and_file(synced: Project, cli: Any, tmp_path: Path) -> None:
    for args in ([], ["select 1", "-f", str(tmp_path / "q.sql")]):
        result = cli("sql", *args)
        assert result.code == 1
        assert result.stderr.startswith("lakeline: error: give the SQL either as QUERY or with -f FILE")


def test_sql_syncs_first_unless_told_not_to(synced: Project, cli: Any) -> None:
    pipeline_commit(synced.repo, "main", raw=b"b\n", lr=0.3)
    assert cli("sql", "--json", "--no-sync", "select count(*) as n from commits").json() == [{"n": 3}]
    assert cli("sql", "--json", "select count(*) as n from commits").json() == [{"n": 4}]


def test_sql_without_a_catalog_and_no_sync_says_how_to_make_one(project: Project, cli: Any) -> None:
    result = cli("sql", "--no-sync", "select 1")
    assert result.code == 1
    expected = f"there is no catalog at {project.catalog_path} yet: run 'lakeline catalog sync'"
    assert result.stderr == f"lakeline: error: {expected}\n"


def test_sql_syntax_error_is_one_friendly_line(synced: Project, cli: Any) -> None:
    result = cli("sql", "selec * from commits")
    assert result.code == 1
    assert result.stderr.startswith("lakeline: error: SQL error: Parser Error: syntax error at or near")
    assert len(result.stderr.splitlines()) == 1
    missing = cli("sql", "select * from no_such_table")
    assert missing.stderr.startswith(
        "lakeline: error: SQL error: Catalog Error: Table with name no_such_table"
    )


def test_sql_api_raises_typed_errors(synced: Project) -> None:
    with pytest.raises(CatalogError):
        synced.sql("select nope from commits")
    with pytest.raises(PermissionDeniedError):
        synced.sql("delete from commits")


REFUSED = {
    "copy to a file": "copy commits to '{tmp}/leak.csv'",
    "copy into .lakeline": "copy commits to '{state}/leak.parquet' (format parquet)",
    "export database": "export database '{tmp}/exported'",
    "attach another file": "attach '{tmp}/other.duckdb' as other",
    "attach in memory": "attach ':memory:' as scratch",
    "install an extension": "install httpfs",
    "load an extension": "load httpfs",
    "read a csv file": "select * from read_csv('/etc/passwd')",
    "read a parquet file": "select * from read_parquet('{tmp}/x.parquet')",
    "read a json file": "select * from read_json('{tmp}/x.json')",
    "read a text file": "select * from read_text('/etc/hostname')",
    "glob the file system": "select * from glob('/etc/*')",
    "turn file access back on": "set enable_external_access = true",
    "change a setting": "set threads = 1",
    "create a table": "create table evil (x int)",
    "insert": "insert into branches values ('x', 'y')",
    "update": "update commits set message = 'x'",
    "delete": "delete from commits",
    "drop": "drop table commits",
}


@pytest.mark.parametrize("query", list(REFUSED.values()), ids=list(REFUSED))
def test_sql_refuses_every_way_out_of_read_only_with_one_line(
    synced: Project, cli: Any, tmp_path: Path, query: str
) -> None:
    for name, data in (("x.parquet", b"PAR1"), ("x.json", b"{}")):
        (tmp_path / name).write_bytes(data)
    before_state, before_tmp = state_of(synced.state_dir), sorted(os.listdir(tmp_path))
    # --no-sync: only what the SQL itself does is measured (opening the store is not the SQL).
    result = cli("sql", "--no-sync", query.format(tmp=tmp_path, state=synced.state_dir))
    assert result.code == 1
    assert result.stderr.startswith("lakeline: error: refused: lakeline sql is read-only"), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert state_of(synced.state_dir) == before_state
    assert sorted(os.listdir(tmp_path)) == before_tmp


def test_sql_cannot_write_into_the_state_folder_through_parquet(synced: Project, cli: Any) -> None:
    before = state_of(synced.state_dir)
    for dest in (synced.state_dir / "out.parquet", Path(".lakeline") / "store" / "x.parquet"):
        result = cli("sql", "--no-sync", "--parquet", str(dest), "select 1")
        assert result.code == 1
        assert result.stderr.startswith("lakeline: error: refusing to write")
    assert state_of(synced.state_dir) == before
    with pytest.raises(InvalidPathError):
        synced.sql("select 1", sync=False, parquet=synced.state_dir / "catalog.duckdb")


def test_reading_queries_leave_the_state_folder_untouched(synced: Project, cli: Any) -> None:
    before = state_of(synced.state_dir)
    for query in (
        "select * from objects",
        "create temp table t as select * from commits",  # temp objects live in memory only
        "checkpoint",
        "select count(*) from range(3000000) a, range(2) b",
    ):
        assert cli("sql", "--no-sync", query).code == 0, query
    assert state_of(synced.state_dir) == before
