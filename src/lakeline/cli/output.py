"""One renderer for every command: a table by default, ``--json`` or ``--csv`` on request.

Commands hand over plain rows (dicts) or one record; this module decides how they look, so
no command formats output itself.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

if TYPE_CHECKING:
    from lakeline.transfer import TransferProgress

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


def format_size(size: int | None) -> str:
    """Bytes for people: 1023 B, 1.5 KiB, 2.0 GiB."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # unreachable: the loop returns at TiB


def short_id(commit_id: str) -> str:
    """A commit id as tables show it (any unique prefix of 4+ characters is a valid ref)."""
    return commit_id[:12]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def emit_rows(
    rows: Sequence[Mapping[str, Any]] | Sequence[Any],
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    empty: str = "(nothing)",
) -> None:
    """Print a list of records (mappings or dataclasses)."""
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
        console().print(message, highlight=False, markup=False, soft_wrap=True)


def binary_stdout() -> BinaryIO:
    """Standard output for raw bytes (``fs cat``), after any pending text."""
    sys.stdout.flush()
    buffer: BinaryIO = sys.stdout.buffer
    return buffer


# A progress bar only pays for itself when there are many files and someone is watching.
PROGRESS_MIN_FILES = 50


@contextmanager
def transfer_progress(label: str) -> Iterator[Callable[[TransferProgress], None]]:
    """A callback for `lakeline.transfer` that drives a rich progress bar on stderr.

    The bar appears on the first report of at least `PROGRESS_MIN_FILES` files, and only when
    stderr is a terminal, so pipes and --json output stay clean.
    """
    state: dict[str, Any] = {}

    def report(progress: TransferProgress) -> None:
        if "bar" not in state:
            stderr = err_console()
            if progress.files_total < PROGRESS_MIN_FILES or not stderr.is_terminal:
                state["bar"] = None
            else:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )

                bar = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=stderr,
                    transient=True,
                )
                bar.start()
                state["bar"] = bar
                state["task"] = bar.add_task(label, total=progress.files_total)
        if state["bar"] is not None:
            state["bar"].update(state["task"], completed=progress.files_done)

    try:
        yield report
    finally:
        if state.get("bar") is not None:
            state["bar"].stop()


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
