"""docs/catalog.md is in step with the schema module, and its example queries run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from catalog_support import EventWriter, pipeline_commit

from lakeline import Project
from lakeline.catalog import schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "catalog.md"


def test_schema_reference_in_docs_is_generated_from_the_schema_module() -> None:
    text = DOC.read_text(encoding="utf-8")
    expected = f"{schema.SCHEMA_START}\n\n{schema.render_markdown()}\n{schema.SCHEMA_END}"
    assert expected in text, (
        "docs/catalog.md is stale: run .venv/bin/python -m lakeline.catalog.schema docs/catalog.md"
    )


def test_the_catalog_has_exactly_the_documented_tables_and_columns(project: Project) -> None:
    pipeline_commit(project.repo, "main", raw=b"a\n", lr=0.1)
    project.sync_catalog()
    with project.catalog(sync=False) as conn:
        found: dict[str, list[tuple[str, str]]] = {}
        for table, column, type_ in conn.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal "
            "AND schema_name = 'main' ORDER BY table_name, column_index"
        ).fetchall():
            found.setdefault(table, []).append(
                (column, type_.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"))
            )
    documented = {
        t.name: [(c.name, c.type.replace(" PRIMARY KEY", "")) for c in t.columns] for t in schema.TABLES
    }
    assert found == documented


@pytest.fixture
def populated(project: Project) -> Project:
    repo = project.repo
    first = pipeline_commit(repo, "main", raw=b"id\n1\n", lr=0.1).commit_id
    repo.create_tag("classifier-v1.0.0", first)
    events = EventWriter(repo)
    events("promote", "classifier", "v1.0.0", {"commit_id": first, "tag": "classifier-v1.0.0"})
    events("alias", "classifier", "v1.0.0", {"alias": "production", "previous_version": None})
    state = [{"version": "v1.0.0", "traffic": 100, "shadow": False}]
    events("deploy", "classifier", "v1.0.0", {"env": "prod", "traffic": 100, "mode": "full", "state": state})
    project.sync_catalog()
    return project


SQL_BLOCKS = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("query", SQL_BLOCKS, ids=[q.splitlines()[0][3:40] for q in SQL_BLOCKS])
def test_every_example_query_in_the_docs_runs_and_returns_rows(populated: Project, query: str) -> None:
    result = populated.sql(query, sync=False)
    if "kind IS NULL" not in query:  # only the root commit is foreign here
        assert len(result) > 0, query
