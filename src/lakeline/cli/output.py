"""One renderer for every command: a table by default, ``--json`` or ``--csv`` on request.

Commands hand over plain rows (dicts) or one record; this module decides how they look, so
no command formats output itself.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def pick_format(json_: bool = False, csv_: bool = False) -> Format:
    if json_:
        return Format.json
    if csv_:
        return Format.csv
    return Format.table


def to_plain(value: Any) -> Any:
    """Dataclasses, paths, mappings and tuples -> JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def format_time(epoch: int | float | None) -> str:
    if not epoch:
        return ""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    empty: str = "(nothing)",
) -> None:
    """Print a list of records."""
    plain = [to_plain(r) for r in rows]
    cols = list(columns) if columns else (list(plain[0].keys()) if plain else [])
    if fmt is Format.json:
        sys.stdout.write(json.dumps(plain, indent=2, default=str) + "\n")
        return
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(cols)
        for row in plain:
            writer.writerow([_cell(row.get(c)) for c in cols])
        return
    if not plain:
        console().print(empty, style="dim")
        return
    from rich.table import Table

    table = Table(title=title, show_edge=False, header_style="bold")
    for col in cols:
        table.add_column(col, overflow="fold")
    for row in plain:
        table.add_row(*(_cell(row.get(c)) for c in cols))
    console().print(table)


def emit_record(record: Any, fmt: Format, *, title: str | None = None) -> None:
    """Print one record: JSON object, or a two-column key/value table."""
    plain = to_plain(record)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(plain, indent=2, default=str) + "\n")
        return
    if not isinstance(plain, Mapping):
        sys.stdout.write(f"{plain}\n")
        return
    rows = [{"key": k, "value": v} for k, v in plain.items()]
    emit_rows(rows, Format.csv if fmt is Format.csv else Format.table, title=title)


def emit_message(message: str, fmt: Format, **data: Any) -> None:
    """A one-line success message; as JSON, the message plus any data."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(to_plain({"message": message, **data}), indent=2) + "\n")
    else:
        console().print(message, highlight=False, markup=False)


_console: Any = None


def console() -> Any:
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(soft_wrap=False)
    return _console


def err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)
