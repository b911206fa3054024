"""CLI commands for the catalog: ``catalog sync``, ``catalog rebuild``, ``sql``, ``lineage``, ``impact``.

Each command parses, calls one `lakeline.Project` method and renders with
`lakeline.cli.output`; the work (syncing, read-only SQL, recursive lineage queries) lives in
`lakeline.catalog`. Nothing here imports duckdb or pyarrow.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakeline.cli import app
from lakeline.cli.output import (
    CsvOpt,
    Format,
    JsonOpt,
    console,
    emit_message,
    emit_rows,
    err_console,
    pick_format,
    to_plain,
)
from lakeline.errors import InvalidInputError
from lakeline.project import Project

if TYPE_CHECKING:
    from lakeline.catalog.lineage import ImpactReport, LineageGraph
    from lakeline.catalog.sync import SyncResult

catalog_app = typer.Typer(
    help="The DuckDB catalog of commits, params, metrics, lineage and registry events.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(catalog_app, name="catalog")


@contextmanager
def _project() -> Iterator[Project]:
    with Project.open() as project:
        yield project


# --- catalog sync / rebuild ------------------------------------------------------------------------
@catalog_app.command("sync")
def catalog_sync(json_: JsonOpt = False) -> None:
    """Index what is new in the store (commits, refs, provenance, events); incremental."""
    with _project() as project:
        result = project.sync_catalog()
    _emit_sync("synced", result, pick_format(json_))


@catalog_app.command("rebuild")
def catalog_rebuild(json_: JsonOpt = False) -> None:
    """Build the catalog again from the store alone (the old file is replaced when done)."""
    with _project() as project:
        result = project.rebuild_catalog()
    _emit_sync("rebuilt", result, pick_format(json_))


def _emit_sync(verb: str, result: SyncResult, fmt: Format) -> None:
    text = (
        f"catalog {verb}: {result.commits} new commits, {result.events} new events "
        f"({result.total_commits} commits indexed, {result.branches} branches, {result.tags} tags) "
        f"in {result.seconds:.2f} s"
    )
    if not (result.commits or result.events or result.pruned or result.rebuilt):
        text = (
            f"catalog {verb}: already up to date ({result.total_commits} commits indexed, "
            f"{result.branches} branches, {result.tags} tags)"
        )
    emit_message(text, fmt, **to_plain(result))
    if fmt is not Format.json:
        for warning in result.warnings:
            err_console().print(f"warning: {warning}", markup=False, highlight=False)


# --- sql -------------------------------------------------------------------------------------------
@app.command()
def sql(
    query: Annotated[
        str | None,
        typer.Argument(metavar="QUERY", help='SQL to run (read-only), e.g. "select * from commits limit 5".'),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "-f", "--file", metavar="FILE", help="Read the SQL from this file instead ('-' for stdin)."
        ),
    ] = None,
    parquet: Annotated[
        Path | None,
        typer.Option(
            "--parquet", metavar="FILE", help="Write the rows to this Parquet file instead of printing."
        ),
    ] = None,
    no_sync: Annotated[
        bool, typer.Option("--no-sync", help="Query the catalog as it is, without syncing it first.")
    ] = False,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Query the catalog with SQL: read-only, no file access (see docs/catalog.md for tables)."""
    text = _query_text(query, file)
    with _project() as project:
        result = project.sql(text, sync=not no_sync, parquet=parquet)
    fmt = pick_format(json_, csv_)
    if parquet is not None:
        emit_message(f"wrote {len(result)} rows to {parquet}", fmt, rows=len(result), path=str(parquet))
        return
    emit_rows(result.rows, fmt, columns=result.columns, empty="(no rows)")


def _query_text(query: str | None, file: Path | None) -> str:
    if (query is None) == (file is None):
        raise InvalidInputError("give the SQL either as QUERY or with -f FILE (exactly one of them)")
    if file is None:
        return query or ""
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            f"cannot read the SQL file {file}: {getattr(exc, 'strerror', None) or exc}"
        ) from None


# --- lineage and impact ------------------------------------------------------------------------------
@app.command()
def lineage(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            help="PATH@REF (e.g. models/model.pkl@main), PATH (current branch), MODEL@VERSION "
            "(classifier@v1.3.0), MODEL@ALIAS or MODEL (its latest version).",
        ),
    ],
    dot: Annotated[bool, typer.Option("--dot", help="Print the graph in Graphviz DOT.")] = False,
    mermaid: Annotated[
        bool, typer.Option("--mermaid", help="Print the graph as a Mermaid flowchart.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Show where an object or model version came from: data, stages, params and code, upstream."""
    if sum((dot, mermaid, json_)) > 1:
        raise InvalidInputError("choose one output: --json, --dot or --mermaid")
    with _project() as project:
        graph = project.lineage(target)
    if dot:
        sys.stdout.write(graph.to_dot())
    elif mermaid:
        sys.stdout.write(graph.to_mermaid())
    elif json_:
        emit_message("lineage", Format.json, **to_plain(graph), sources=[_source(s) for s in graph.sources])
    else:
        console().print(_lineage_tree(graph))


def _source(source: tuple[str, str | None, str | None]) -> dict[str, Any]:
    path, hash_, kind = source
    return {"path": path, "hash": hash_, "kind": kind}


def _lineage_tree(graph: LineageGraph) -> Any:
    from rich.text import Text
    from rich.tree import Tree

    t = graph.target
    where = f"{t.model}@{t.version}, " if t.model else ""
    code = ""
    if graph.git_commit:
        code = f"; code {graph.git_commit[:12]}" + (" (dirty)" if graph.git_dirty else "")
    root = Tree(Text.assemble((t.path, "bold"), f"  {graph.hash or ''}"))
    root.add(Text(f"{where}{t.ref} = commit {t.commit_id[:12]}{code}", style="dim"))
    expanded: set[tuple[str, str | None]] = set()

    def grow(node: Any, path: str, hash_: str | None) -> None:
        if (path, hash_) in expanded:
            if graph.producers(path, hash_):
                node.add(Text("(inputs shown above)", style="dim"))
            return
        expanded.add((path, hash_))
        for stage, edges in sorted(graph.producers(path, hash_).items()):
            cmd = next((s.cmd for s in graph.stages if s.name == stage), None)
            branch = node.add(Text.assemble(("stage ", "dim"), (stage, "cyan"), f": {cmd}" if cmd else ""))
            for edge in sorted(edges, key=lambda e: (e.src_kind == "param", e.src_path)):
                if edge.src_kind == "param":
                    branch.add(Text.assemble(("param ", "dim"), edge.src_path, f" = {edge.src_hash}"))
                    continue
                child = branch.add(Text.assemble(edge.src_path, (f"  {edge.src_hash or ''}", "dim")))
                grow(child, edge.src_path, edge.src_hash)

    grow(root, t.path, graph.hash)
    if not graph.edges:
        root.add(Text("no recorded lineage: this object was not produced by a pipeline stage", style="dim"))
    return root


@app.command()
def impact(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            help="PATH@REF of a data file (e.g. data/raw/users.csv@main); PATH alone: current branch.",
        ),
    ],
    json_: JsonOpt = False,
) -> None:
    """Show everything built from an object's content, downstream: outputs, commits, model versions."""
    with _project() as project:
        report = project.impact(target)
    if json_:
        emit_message("impact", Format.json, **to_plain(report))
        return
    _print_impact(report)


def _print_impact(report: ImpactReport) -> None:
    t = report.target
    how = "recorded" if report.hash_source == "lineage" else "md5 of its bytes"
    emit_message(
        f"{t.path} at {t.ref} (commit {t.commit_id[:12]}): hash {report.hash} ({how}); "
        f"{len(report.model_versions)} model versions, {len(report.commits)} commits, "
        f"{len(report.outputs)} outputs downstream",
        Format.table,
    )
    if report.containing_dirs:
        emit_message(
            f"also followed the directories holding it: {', '.join(report.containing_dirs)}", Format.table
        )
    if report.model_versions:
        emit_rows([to_plain(v) for v in report.model_versions], Format.table, title="model versions")
    if report.outputs:
        emit_rows([to_plain(o) for o in report.outputs], Format.table, title="outputs")
    if report.commits:
        rows = [
            {
                "commit": c.commit_id[:12],
                "time": c.time,
                "kind": c.kind,
                "message": c.message,
                "refs": ", ".join((*c.branches, *c.tags)),
            }
            for c in report.commits
        ]
        emit_rows(rows, Format.table, title="commits")
