"""CLI commands for the pipeline area: commit, run, checkout, status and the ``exp`` sub-app.

Each command parses, calls one `lakeline.Project` method and renders with `lakeline.cli.output`.
`exp_app` is module-level so other areas can add commands to it (``exp compare``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from lakeline.cli import app
from lakeline.cli.output import (
    JsonOpt,
    emit_message,
    emit_record,
    emit_rows,
    format_time,
    pick_format,
    short_id,
    to_plain,
)
from lakeline.cli.store_cmds import parse_meta
from lakeline.errors import InvalidInputError
from lakeline.project import Project

exp_app = typer.Typer(
    help="Experiments: exp-NAME branches with their params and metrics.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(exp_app, name="exp")

MessageOpt = Annotated[str, typer.Option("-m", "--message", metavar="MSG", help="Commit message.")]
BranchOpt = Annotated[
    str | None,
    typer.Option("--branch", "-b", metavar="BRANCH", help="Branch to commit to (default: the current one)."),
]
AllowStaleOpt = Annotated[
    bool,
    typer.Option("--allow-stale", help="Commit even if 'dvc status' reports stale stages (recorded)."),
]


@contextmanager
def _project() -> Iterator[Project]:
    with Project.open() as project:
        yield project


def _done(line: str, result: Any, json_: bool) -> None:
    """One line for people; the whole result as a JSON object with --json."""
    if json_:
        emit_record(result, pick_format(json_))
    else:
        emit_message(line, pick_format(json_))


def _commit_line(result: Any) -> str:
    if result.kind == "plain":
        return f"committed {short_id(result.commit_id)} on {result.branch}"
    stale = f" (stale: {', '.join(result.stale_stages)})" if result.stale_stages else ""
    return (
        f"committed {short_id(result.commit_id)} on {result.branch}: {len(result.uploaded)} uploaded, "
        f"{len(result.deleted)} deleted, {result.unchanged} unchanged{stale}"
    )


@app.command()
def commit(
    branch_arg: Annotated[
        str | None, typer.Argument(metavar="[BRANCH]", help="Branch to commit to (default: the current one).")
    ] = None,
    message: MessageOpt = "",
    branch: BranchOpt = None,
    meta: Annotated[
        list[str] | None,
        typer.Option("--meta", metavar="K=V", help="Commit metadata (repeatable)."),
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Commit even if nothing changed.")
    ] = False,
    allow_stale: AllowStaleOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Commit the branch: in a DVC project, the pipeline's outputs, params and provenance."""
    if branch_arg and branch and branch_arg != branch:
        raise InvalidInputError(f"two branches given ({branch_arg!r} and --branch {branch!r}): pass one")
    with _project() as project:
        result = project.commit(
            message,
            branch=branch or branch_arg,
            metadata=parse_meta(meta),
            allow_empty=allow_empty,
            allow_stale=allow_stale,
        )
    _done(_commit_line(result), result, json_)


@app.command()
def run(
    message: MessageOpt = "",
    branch: BranchOpt = None,
    allow_stale: AllowStaleOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Run 'dvc repro', then commit its outputs with provenance (DVC's output goes to stderr)."""
    with _project() as project:
        result = project.run(message or None, branch=branch, allow_stale=allow_stale)
    _done(_commit_line(result), result, json_)


@app.command()
def checkout(
    ref: Annotated[str, typer.Argument(metavar="REF", help="Branch, tag or commit to materialise.")],
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite or remove files with local changes.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Make the workspace's tracked files those of REF (a branch becomes the current branch)."""
    with _project() as project:
        result = project.checkout(ref, force=force)
    current = f"; current branch: {result.branch}" if result.branch else ""
    line = (
        f"checked out {ref} ({short_id(result.commit_id)}): {len(result.written)} written, "
        f"{len(result.removed)} removed, {result.unchanged} unchanged{current}"
    )
    _done(line, result, json_)


@app.command()
def status(branch: BranchOpt = None, json_: JsonOpt = False) -> None:
    """What differs between the workspace and the branch: files added/modified/deleted, stale stages."""
    with _project() as project:
        report = project.status(branch=branch)
    fmt = pick_format(json_)
    if json_:
        emit_record({**to_plain(report), "clean": report.clean}, fmt)
        return
    rows = [
        {"change": kind, "path": path}
        for kind in ("added", "modified", "deleted")
        for path in getattr(report, kind)
    ]
    rows += [
        {"change": "stale stage", "path": f"{name}: {'; '.join(why)}"}
        for name, why in report.stale_stages.items()
    ]
    title = f"{report.branch} @ {short_id(report.commit_id)}"
    emit_rows(rows, fmt, columns=["change", "path"], title=title, empty=f"{title}: workspace clean")


# --- experiments ------------------------------------------------------------------------------
@exp_app.command("new")
def exp_new(
    name: Annotated[str, typer.Argument(help="Experiment name (the branch is exp-NAME).")],
    from_ref: Annotated[
        str | None, typer.Option("--from", metavar="REF", help="Where it starts (default: main).")
    ] = None,
    git: Annotated[bool, typer.Option("--git", help="Also 'git switch -c exp-NAME'.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Create experiment branch exp-NAME and make it current (the workspace is left as it is)."""
    with _project() as project:
        experiment = project.exp_new(name, from_ref=from_ref, git=git)
    line = f"experiment {experiment.name}: branch {experiment.branch} at {short_id(experiment.commit_id)}"
    _done(line, experiment, json_)


@exp_app.command("list")
def exp_list(json_: JsonOpt = False) -> None:
    """Experiments with their head commit and metrics (the current one marked *)."""
    with _project() as project:
        experiments = project.exp_list()
    if json_:
        emit_rows([to_plain(e) for e in experiments], pick_format(json_))
        return
    rows = [
        {
            "": "*" if e.current else "",
            "name": e.name,
            "commit": short_id(e.commit_id),
            "time": format_time(e.time),
            "message": e.message,
            "metrics": _metrics_cell(e.metrics),
        }
        for e in experiments
    ]
    emit_rows(rows, pick_format(json_), empty="(no experiments: create one with 'lakeline exp new NAME')")


def _metrics_cell(metrics: Mapping[str, Any]) -> str:
    return "  ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(metrics.items())
    )


@exp_app.command("show")
def exp_show(
    name: Annotated[str, typer.Argument(help="Experiment name (or its exp-NAME branch).")],
    json_: JsonOpt = False,
) -> None:
    """An experiment's provenance summary: params, metrics, seeds, git commit, time."""
    with _project() as project:
        record = project.exp_show(name)
    if not json_:
        record = {**record, "committed": format_time(record["committed"])}
    emit_record(record, pick_format(json_), title=f"experiment {record['name']}")


@exp_app.command("delete")
def exp_delete(
    name: Annotated[str, typer.Argument(help="Experiment name (or its exp-NAME branch).")],
    json_: JsonOpt = False,
) -> None:
    """Delete experiment branch exp-NAME (its commits stay reachable from tags and merges)."""
    with _project() as project:
        branch = project.exp_delete(name)
    emit_message(f"deleted experiment branch {branch}", pick_format(json_), branch=branch)
