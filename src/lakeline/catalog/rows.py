"""Rows for catalog tables from what the store holds: object stats, provenance records and
registry events (docs/formats.md), read defensively (a malformed field becomes NULL, never an
error), and the bulk insert that writes them.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lakeline.catalog import schema
from lakeline.errors import LakelineError
from lakeline.names import RESERVED_PREFIX, Version
from lakeline.store.base import ObjectStats

if TYPE_CHECKING:
    import duckdb

# docs/formats.md: one object per event under this prefix on the registry branch.
EVENTS_PREFIX = f"{RESERVED_PREFIX}events/"
EVENT_SCHEMA = "lakeline.event/1"
Entry = tuple[str, int, int | None, str]  # checksum, size, mtime, content type


@dataclass
class Rows:
    """Rows waiting to be inserted, per table, in the table's column order."""

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.tables.setdefault(table, []).append(row)

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def provenance_rows(rows: Rows, commit_id: str, seq: int, record: Mapping[str, Any]) -> None:
    """The params, metrics, stages, lineage edges and artifacts of one provenance record."""
    add = rows.add
    for key, value in flatten(mapping(record.get("params"))):
        add("params", (commit_id, key, to_json(value), number(value)))
    for key, value in flatten(mapping(record.get("metrics"))):
        add("metrics", (commit_id, key, number(value), to_json(value)))
    for name, stage in sorted(mapping(record.get("stages")).items()):
        stage = mapping(stage)
        add("stages", (commit_id, str(name), text(stage.get("cmd")), to_json(stage.get("params") or {})))
    lineage = record.get("lineage")
    for edge in lineage if isinstance(lineage, list) else []:
        if not isinstance(edge, dict):
            continue
        add(
            "lineage_edges",
            (
                commit_id,
                seq,
                text(edge.get("stage")),
                text(edge.get("src_path")),
                src_hash := text(edge.get("src_hash")),
                src_kind := text(edge.get("src_kind")),
                text(edge.get("dst_path")),
                dst_hash := text(edge.get("dst_hash")),
                None if src_kind == "param" else schema.hash_key(src_hash),
                schema.hash_key(dst_hash),
            ),
        )
    for name, art in sorted(mapping(record.get("artifacts")).items()):
        art = mapping(art)
        labels = art.get("labels")
        add(
            "artifacts",
            (
                commit_id,
                str(name),
                text(art.get("path")),
                text(art.get("type")),
                text(art.get("desc")),
                [str(x) for x in labels] if isinstance(labels, list) else None,
                to_json(art.get("meta")) if art.get("meta") is not None else None,
                text(art.get("hash")),
                to_json(art.get("signature")) if art.get("signature") is not None else None,
            ),
        )


def object_entry(stats: ObjectStats) -> Entry:
    return (stats.checksum, stats.size_bytes, stats.mtime, stats.content_type)


def event_row(raw: Any, commit_id: str, path: str) -> tuple[Any, ...] | None:
    if not isinstance(raw, dict) or raw.get("schema") != EVENT_SCHEMA or not raw.get("id"):
        return None
    version = raw.get("version")
    if isinstance(version, str):
        with contextlib.suppress(LakelineError):
            version = str(Version.parse(version))
    details = raw.get("details")
    return (
        str(raw["id"]),
        text(raw.get("type")),
        iso_time(raw.get("time")),
        text(raw.get("user")),
        text(raw.get("model")),
        version if isinstance(version, str) else None,
        text(raw.get("reason")),
        to_json(details if isinstance(details, dict) else {}),
        commit_id,
        path,
    )


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key in sorted(mapping, key=str):
        value = mapping[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from flatten(value, name + ".")
        else:
            yield name, value


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def text(value: Any) -> str | None:
    return None if value is None else str(value)


def bool_or_none(value: Any) -> bool | None:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def epoch(seconds: int | float | None) -> datetime | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def iso_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Append ``rows`` (tuples in the table's column order) in one statement.

    Each column travels as one list parameter, unnested side by side: as fast as an Arrow
    insert without importing pyarrow (whose arrays pull in pandas, a second at start-up).
    """
    spec = schema.TABLES_BY_NAME[table]
    columns = list(zip(*rows, strict=True))
    params: list[list[Any]] = []
    selects: list[str] = []
    for col, values in zip(spec.columns, columns, strict=True):
        sql_type = col.type.replace(" PRIMARY KEY", "")
        n = len(params) + 1
        if sql_type.startswith("MAP("):
            key_type, value_type = (part.strip() for part in sql_type[4:-1].split(","))
            params.append([list(v) if v is not None else [] for v in values])
            params.append([list(v.values()) if v is not None else [] for v in values])
            selects.append(f"map(unnest(${n}::{key_type}[][]), unnest(${n + 1}::{value_type}[][]))")
        elif sql_type == "JSON":
            params.append(list(values))
            selects.append(f"unnest(${n}::VARCHAR[])::JSON")
        else:
            params.append(list(values))
            selects.append(f"unnest(${n}::{sql_type}[])")
    conn.execute(f"INSERT INTO {table} SELECT {', '.join(selects)}", params)
