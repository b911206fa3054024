"""CLI commands for the registry: promote, approve, alias, deploy, deployments, resolve,
rollback, retire, models, versions, show, compare, and ``exp compare``.

Each command parses, calls one `lakeline.Project` method and renders with
`lakeline.cli.output`; the rules (gates, policy, traffic splits) live in `lakeline.registry`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from lakeline.cli import app
from lakeline.cli.output import CsvOpt, JsonOpt, emit_message, emit_record, emit_rows, pick_format, to_plain
from lakeline.project import Project

alias_app = typer.Typer(
    help="Movable names for model versions (production, staging, champion).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(alias_app, name="alias")

ModelArg = Annotated[
    str, typer.Argument(metavar="MODEL", help="Model name, as declared in dvc.yaml artifacts.")
]
VersionArg = Annotated[str, typer.Argument(metavar="VERSION", help="Model version, e.g. v1.2.0.")]
ExperimentArg = Annotated[
    str, typer.Argument(metavar="EXPERIMENT", help="Experiment branch (exp-NAME, or just NAME).")
]
WhyOpt = Annotated[str, typer.Option("-m", "--message", metavar="WHY", help="Why: kept in the event.")]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", metavar="MODEL", help="Which model, when the branch declares several."),
]


@contextmanager
def _project() -> Iterator[Project]:
    with Project.open() as project:
        yield project


@app.command()
def promote(
    experiment: ExperimentArg,
    message: WhyOpt = "",
    model: ModelOpt = None,
    bump: Annotated[
        str | None,
        typer.Option("--bump", metavar="PART", help="Override the computed bump: major, minor or patch."),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", metavar="VERSION", help="Use this exact version (e.g. v2.0.0).")
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy", help="Resolve merge conflicts: dest-wins or source-wins (default: refuse)."
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Check the policy's gates, merge the experiment into main and tag the model's new version."""
    with _project() as project:
        result = project.promote(
            experiment, message=message, model=model, bump=bump, version=version, strategy=strategy
        )
    fmt = pick_format(json_)
    text = (
        f"promoted {result.source_branch} as {result.model}@{result.version} "
        f"({result.bump}: {result.bump_reason}); merge {result.commit_id[:12]}, tag {result.tag}"
    )
    emit_message(text, fmt, **to_plain(result))
    if not json_ and result.gates:
        emit_rows([g.as_row() for g in result.gates], fmt, columns=["gate", "passed", "detail"])


@app.command()
def approve(
    experiment: ExperimentArg, message: WhyOpt = "", model: ModelOpt = None, json_: JsonOpt = False
) -> None:
    """Approve the experiment's current head for promotion (counts once per user)."""
    with _project() as project:
        event = project.approve(experiment, message=message, model=model)
    details = event.details
    text = f"{event.user} approved {details['branch']}@{str(details['commit_id'])[:12]} for {event.model}"
    emit_message(text, pick_format(json_), event=event)


@alias_app.command("set")
def alias_set(
    model: ModelArg,
    alias: Annotated[str, typer.Argument(metavar="ALIAS", help="Alias name, e.g. production.")],
    version: VersionArg,
    message: WhyOpt = "",
    json_: JsonOpt = False,
) -> None:
    """Point ALIAS of MODEL at VERSION (the move is an event; history is kept)."""
    with _project() as project:
        event = project.alias_set(model, alias, version, message=message)
    previous = event.details.get("previous_version")
    moved = f" (was {previous})" if previous else ""
    emit_message(f"{model} alias {alias} -> {event.version}{moved}", pick_format(json_), event=event)


@alias_app.command("list")
def alias_list(
    model: Annotated[str | None, typer.Argument(metavar="[MODEL]", help="Only this model.")] = None,
    history: Annotated[bool, typer.Option("--history", help="Every alias move, oldest first.")] = False,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Current aliases (or, with --history, every move)."""
    with _project() as project:
        rows = project.alias_list(model, history=history)
    emit_rows(rows, pick_format(json_, csv_), empty="(no aliases)")


@app.command()
def deploy(
    model: ModelArg,
    version: VersionArg,
    env: Annotated[str, typer.Option("--env", metavar="ENV", help="Environment, e.g. production.")],
    traffic: Annotated[
        float | None,
        typer.Option(
            "--traffic",
            metavar="PCT",
            help="Share of the environment's traffic (default 100: full switch; less: canary).",
        ),
    ] = None,
    shadow: Annotated[bool, typer.Option("--shadow", help="Mirror traffic to it; it serves 0%.")] = False,
    message: WhyOpt = "",
    json_: JsonOpt = False,
) -> None:
    """Record a deployment of MODEL VERSION to ENV with its traffic split."""
    with _project() as project:
        event = project.deploy(model, version, env=env, traffic=traffic, shadow=shadow, message=message)
    split = ", ".join(
        f"{s['version']} {'shadow' if s['shadow'] else str(s['traffic']) + '%'}"
        for s in event.details["state"]
    )
    emit_message(f"{model} in {env} ({event.details['mode']}): {split}", pick_format(json_), event=event)


@app.command()
def deployments(
    model: Annotated[str | None, typer.Argument(metavar="[MODEL]", help="Only this model.")] = None,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """What is live, per model and environment, and at what share."""
    with _project() as project:
        rows = project.deployments(model)
    columns = ["model", "env", "version", "traffic", "shadow", "live", "since", "by"]
    emit_rows(rows, pick_format(json_, csv_), columns=columns, empty="(nothing deployed)")


@app.command()
def resolve(
    model: ModelArg,
    env: Annotated[str, typer.Option("--env", metavar="ENV", help="Environment.")] = "production",
    key: Annotated[
        str | None,
        typer.Option(
            "--key", metavar="KEY", help="Request key (user id...): the same key gets the same version."
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """The version serving code should load, its artifact path and the ref to read it from."""
    with _project() as project:
        resolution = project.resolve(model, env=env, key=key)
    emit_record(resolution, pick_format(json_))


@app.command()
def rollback(
    model: ModelArg,
    env: Annotated[
        str | None,
        typer.Option("--env", metavar="ENV", help="Environment (default: production, or the only one)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="VERSION", help="Roll back to this version.")
    ] = None,
    restore_main: Annotated[
        bool,
        typer.Option("--restore-main", help="Also commit that version's artifacts and provenance onto main."),
    ] = False,
    message: WhyOpt = "",
    json_: JsonOpt = False,
) -> None:
    """Go back to the previously live (or given) version: a new event, never a rewrite."""
    with _project() as project:
        result = project.rollback(model, env=env, to=to, restore_main=restore_main, message=message)
    where = result.event.details.get("env") or result.event.details.get("alias")
    text = f"{model} in {where}: {result.from_version} -> {result.to_version}"
    if result.restored_commit:
        text += f"; main restored at {result.restored_commit[:12]}"
    emit_message(text, pick_format(json_), **to_plain(result))


@app.command()
def retire(model: ModelArg, version: VersionArg, message: WhyOpt = "", json_: JsonOpt = False) -> None:
    """Retire a version: it can no longer be deployed or aliased; its history stays."""
    with _project() as project:
        event = project.retire(model, version, message=message)
    emit_message(f"{model}@{event.version} retired", pick_format(json_), event=event)


@app.command()
def models(json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """Every model: latest version, aliases and where it is live."""
    with _project() as project:
        rows = project.models()
    columns = ["model", "latest", "versions", "active", "aliases", "live", "path"]
    emit_rows(rows, pick_format(json_, csv_), columns=columns, empty="(no models yet)")


@app.command()
def versions(model: ModelArg, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """The versions of MODEL, newest first, with status, aliases and deployments."""
    with _project() as project:
        rows = project.versions(model)
    columns = ["version", "status", "bump", "promoted_at", "promoted_by", "source", "aliases", "deployed"]
    emit_rows(rows, pick_format(json_, csv_), columns=columns)


@app.command()
def show(
    target: Annotated[str, typer.Argument(metavar="MODEL@VERSION", help="e.g. classifier@v1.2.0.")],
    json_: JsonOpt = False,
) -> None:
    """One version: provenance summary, metrics, lineage roots, aliases, deployments."""
    with _project() as project:
        record = project.show(target)
    emit_record(record, pick_format(json_), title=target)


@app.command()
def compare(
    a: Annotated[str, typer.Argument(metavar="A", help="MODEL@VERSION, a branch, tag or commit.")],
    b: Annotated[str, typer.Argument(metavar="B", help="MODEL@VERSION, a branch, tag or commit.")],
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Differing params, metrics, signature and data (store diff) of two versions or branches."""
    with _project() as project:
        rows = project.compare(a, b)
    emit_rows(rows, pick_format(json_, csv_), empty="(no differences)")


def exp_compare(
    env: Annotated[
        str, typer.Option("--env", metavar="ENV", help="Whose live version is main's baseline.")
    ] = "production",
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Metrics and differing params of every experiment beside main's live version."""
    with _project() as project:
        rows = project.exp_compare(env=env)
    emit_rows(rows, pick_format(json_, csv_), empty="(no experiments)")


def _register_exp_compare() -> None:
    from lakeline.cli import pipeline_cmds

    exp_app = getattr(pipeline_cmds, "exp_app", None)
    if exp_app is not None:
        exp_app.command("compare")(exp_compare)


_register_exp_compare()
