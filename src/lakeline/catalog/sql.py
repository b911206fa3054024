"""Read-only SQL over the catalog (`lakeline sql`), with results kept as Arrow.

The connection comes from `connection.open_reader` (read-only, no file access, no extensions,
settings locked), so a query can read the catalog and nothing else. DuckDB's refusals become
PermissionDeniedError and other SQL errors CatalogError, each one line. Writing results to
Parquet is done here by lakeline (never by the SQL), atomically, outside ``.lakeline/``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeline.errors import CatalogError, InvalidInputError, InvalidPathError, PermissionDeniedError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

# DuckDB's words when a locked-down connection refuses something.
_REFUSALS = (
    "file system operations are disabled",
    "disabled by configuration",
    "disabled through configuration",
    "the configuration has been locked",
    "read-only mode",
    "cannot launch in-memory database in read-only mode",
    "external access",
)


@dataclass(frozen=True)
class QueryResult:
    """Columns and rows of a query; ``table`` (Arrow, DuckDB's exact types) only when asked for."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    records: tuple[tuple[Any, ...], ...]
    table: pa.Table | None = None

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, record, strict=True)) for record in self.records]

    def __len__(self) -> int:
        return len(self.records)


def run_query(conn: duckdb.DuckDBPyConnection, query: str, *, arrow: bool = False) -> QueryResult:
    """Run ``query`` (one or more statements; the last one's rows are returned). ``arrow``
    also keeps the rows as an Arrow table (for Parquet); otherwise pyarrow is not imported."""
    import duckdb

    if not query.strip():
        raise InvalidInputError("empty SQL query: pass a query, e.g. 'select * from commits limit 5'")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            relation = conn.sql(query)
            if relation is None:
                return QueryResult((), (), ())
            columns = tuple(relation.columns)
            types = tuple(str(t) for t in relation.types)
            if arrow:
                table = relation.to_arrow_table()
                records = tuple(tuple(row.values()) for row in _plain_rows(table))
                return QueryResult(columns, types, records, table)
            return QueryResult(columns, types, tuple(relation.fetchall()))
    except duckdb.Error as exc:
        raise sql_error(exc) from None


def _plain_rows(table: pa.Table) -> list[dict[str, Any]]:
    import pyarrow as pa

    maps = {f.name for f in table.schema if pa.types.is_map(f.type)}
    rows: list[dict[str, Any]] = table.to_pylist()
    if maps:
        rows = [{k: (dict(v) if k in maps and v is not None else v) for k, v in r.items()} for r in rows]
    return rows


def sql_error(exc: Exception) -> CatalogError | PermissionDeniedError:
    """One friendly line for a DuckDB error raised by a query."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    # DuckDB appends "LINE 1: ..." and a caret line to parser errors; the first line says it all.
    text = lines[0] if lines else type(exc).__name__
    lowered = text.lower()
    if any(word in lowered for word in _REFUSALS):
        return PermissionDeniedError(
            "refused: lakeline sql is read-only and has no file, extension or settings access "
            f"(DuckDB: {text})"
        )
    return CatalogError(f"SQL error: {text}")


def write_parquet(result: QueryResult, dest: Path, *, state_dir: Path) -> Path:
    """Write the rows to ``dest`` as Parquet (temp file + rename); never into ``state_dir``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = dest.expanduser().resolve()
    state = state_dir.resolve()
    if target == state or state in target.parents:
        raise InvalidPathError(f"refusing to write {dest} inside {state_dir}: choose a path outside it")
    if target.is_dir():
        raise InvalidPathError(f"{dest} is a folder: give a file name, e.g. {dest}/result.parquet")
    if not target.parent.is_dir():
        raise InvalidPathError(f"cannot write {dest}: folder {target.parent} does not exist")
    table = result.table if result.table is not None else pa.table({c: [] for c in result.columns})
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidPathError(f"cannot write {dest}: {exc.strerror}") from None
    return target
