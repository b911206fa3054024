"""CLI commands for the store area: init, branch, tag, fs, log, diff, merge, revert.

Each command parses its arguments, calls one `lakeline.Project` method and renders the result
with `lakeline.cli.output`. Rules (defaults, validation, path safety) live in the API.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Annotated, Any

import typer

from lakeline.cli import app
from lakeline.cli.output import (
    Format,
    JsonOpt,
    binary_stdout,
    emit_message,
    emit_record,
    emit_rows,
    format_size,
    format_time,
    pick_format,
    short_id,
    to_plain,
    transfer_progress,
)
from lakeline.errors import InvalidInputError
from lakeline.project import Project
from lakeline.store.base import Change, Commit, CommonPrefix, ObjectStats

branch_app = typer.Typer(
    help="Create, list, delete and reset branches.", no_args_is_help=True, rich_markup_mode=None
)
tag_app = typer.Typer(
    help="Create, list and delete tags (immutable names for commits).", no_args_is_help=True
)
fs_app = typer.Typer(
    help="Objects on a branch or ref: upload, download, cat, ls, stat, rm.", no_args_is_help=True
)
app.add_typer(branch_app, name="branch")
app.add_typer(tag_app, name="tag")
app.add_typer(fs_app, name="fs")

AmountOpt = Annotated[int | None, typer.Option("-n", "--amount", metavar="N", help="Show at most N entries.")]
AfterOpt = Annotated[str, typer.Option("--after", metavar="KEY", help="Start after this name (exclusive).")]
PrefixFilterOpt = Annotated[str, typer.Option("--prefix", help="Only names starting with this prefix.")]


def parse_meta(pairs: list[str] | None) -> dict[str, str]:
    """``--meta K=V`` options -> a mapping (a later K wins)."""
    meta: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"invalid --meta {pair!r}: expected KEY=VALUE, e.g. --meta source=survey")
        meta[key] = value
    return meta


# --- init -------------------------------------------------------------------------------------
@app.command()
def init(
    path: Annotated[
        Path | None, typer.Option("--path", metavar="DIR", help="Project folder (default: the current one).")
    ] = None,
    lakefs: Annotated[
        str | None,
        typer.Option(
            "--lakefs", metavar="URL", help="Use the lakeFS server at URL instead of the embedded store."
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            metavar="NAME",
            help="Repository to create, or to attach to on lakeFS (default: from the folder name).",
        ),
    ] = None,
    storage_namespace: Annotated[
        str | None,
        typer.Option(
            "--storage-namespace",
            metavar="URI",
            help="Where lakeFS keeps a new repository's data, e.g. s3://bucket/prefix (with --lakefs).",
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Create a lakeline project: an embedded store in .lakeline/, or a lakeFS repository."""
    if storage_namespace and not lakefs:
        raise InvalidInputError("--storage-namespace only applies to a lakeFS store: add --lakefs URL")
    options: dict[str, Any] = {}
    if lakefs:
        options["endpoint"] = lakefs
        if storage_namespace:
            options["storage_namespace"] = storage_namespace
    project = Project.init(path, backend="lakefs" if lakefs else "local", repository=repo, options=options)
    with project:
        fmt = pick_format(json_output)
        emit_message(
            f"initialized lakeline project in {project.root}: repository {project.config.repository!r} "
            f"({project.config.backend} store), current branch {project.current_branch!r}",
            fmt,
            root=project.root,
            repository=project.config.repository,
            backend=project.config.backend,
            branch=project.current_branch,
        )


# --- branches ---------------------------------------------------------------------------------
@branch_app.command("create")
def branch_create(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="New branch name (letters, digits, '_' and '-').")
    ],
    source: Annotated[
        str | None,
        typer.Option("--from", metavar="REF", help="Branch, tag or commit to start from (default: current)."),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Create a branch; copies nothing, whatever the size of the repository."""
    with Project.open() as project:
        branch = project.branch_create(name, source)
    emit_message(
        f"created branch {branch.name!r} at {short_id(branch.commit_id)}",
        pick_format(json_output),
        branch=branch,
    )


@branch_app.command("list")
def branch_list(
    prefix: PrefixFilterOpt = "",
    after: AfterOpt = "",
    amount: AmountOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """List branches with their head commits; '*' marks the current branch."""
    with Project.open() as project:
        branches = project.branch_list(prefix=prefix, after=after, amount=amount)
        current = project.current_branch
    fmt = pick_format(json_output)
    if fmt is Format.json:
        emit_rows([{**to_plain(b), "current": b.name == current} for b in branches], fmt)
        return
    rows = [
        {"": "*" if b.name == current else "", "branch": b.name, "commit": short_id(b.commit_id)}
        for b in branches
    ]
    emit_rows(rows, fmt, empty="(no branches)")


@branch_app.command("delete")
def branch_delete(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Branch to delete (its commits stay reachable from others).")
    ],
    json_output: JsonOpt = False,
) -> None:
    """Delete a branch pointer (not the default branch, not the current one)."""
    with Project.open() as project:
        project.branch_delete(name)
    emit_message(f"deleted branch {name!r}", pick_format(json_output), branch=name)


@branch_app.command("reset")
def branch_reset(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Branch whose uncommitted changes are discarded.")
    ],
    path: Annotated[
        str | None, typer.Option("--path", metavar="PREFIX", help="Only discard changes under this path.")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Discard a branch's uncommitted changes (its staging area); commits are untouched."""
    with Project.open() as project:
        discarded = project.branch_reset(name, path=path)
    emit_message(
        f"discarded {len(discarded)} uncommitted change(s) on {name!r}",
        pick_format(json_output),
        branch=name,
        discarded=discarded,
    )


# --- tags -------------------------------------------------------------------------------------
@tag_app.command("create")
def tag_create(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="New tag name (git's rules: no '/', '..', spaces).")
    ],
    ref: Annotated[str, typer.Argument(metavar="REF", help="Branch, tag or commit (with ~N, ^N) to tag.")],
    json_output: JsonOpt = False,
) -> None:
    """Create an immutable tag pointing at the commit REF resolves to."""
    with Project.open() as project:
        tag = project.tag_create(name, ref)
    emit_message(f"created tag {tag.name!r} at {short_id(tag.commit_id)}", pick_format(json_output), tag=tag)


@tag_app.command("list")
def tag_list(
    prefix: PrefixFilterOpt = "",
    after: AfterOpt = "",
    amount: AmountOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """List tags with the commits they point at."""
    with Project.open() as project:
        tags = project.tag_list(prefix=prefix, after=after, amount=amount)
    fmt = pick_format(json_output)
    if fmt is Format.json:
        emit_rows(tags, fmt)
        return
    emit_rows([{"tag": t.name, "commit": short_id(t.commit_id)} for t in tags], fmt, empty="(no tags)")


@tag_app.command("delete")
def tag_delete(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Tag to delete (the commit stays).")],
    json_output: JsonOpt = False,
) -> None:
    """Delete a tag."""
    with Project.open() as project:
        project.tag_delete(name)
    emit_message(f"deleted tag {name!r}", pick_format(json_output), tag=name)


# --- objects ----------------------------------------------------------------------------------
@fs_app.command("upload")
def fs_upload(
    local: Annotated[
        Path, typer.Argument(metavar="LOCAL", help="Local file, or folder to upload recursively.")
    ],
    target: Annotated[
        str,
        typer.Argument(
            metavar="BRANCH/PATH",
            help="Destination branch and path (a folder's files go under PATH; "
            "a file goes to PATH, or inside it when PATH ends in '/'). lakefs://REPO/BRANCH/PATH works too.",
        ),
    ],
    meta: Annotated[
        list[str] | None,
        typer.Option("--meta", metavar="K=V", help="User metadata for every uploaded object (repeatable)."),
    ] = None,
    content_type: Annotated[
        str | None, typer.Option("--content-type", metavar="TYPE", help="Content type, e.g. text/csv.")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Stage local files on a branch (uncommitted until 'lakeline commit')."""
    metadata = parse_meta(meta)
    with Project.open() as project, transfer_progress("uploading") as progress:
        stats = project.upload(local, target, metadata=metadata, content_type=content_type, progress=progress)
    total = sum(s.size_bytes for s in stats)
    emit_message(
        f"uploaded {len(stats)} object(s), {format_size(total)}, to {target} (uncommitted)",
        pick_format(json_output),
        objects=stats,
    )


@fs_app.command("download")
def fs_download(
    source: Annotated[
        str,
        typer.Argument(
            metavar="REF/PATH", help="Object to download; a prefix ending in '/' downloads recursively."
        ),
    ],
    local: Annotated[
        str, typer.Argument(metavar="LOCAL", help="Local file or folder to write (never written outside of).")
    ],
    json_output: JsonOpt = False,
) -> None:
    """Download an object, or every object under a prefix, verified against its checksum."""
    with Project.open() as project, transfer_progress("downloading") as progress:
        stats = project.download(source, local, progress=progress)
    total = sum(s.size_bytes for s in stats)
    emit_message(
        f"downloaded {len(stats)} object(s), {format_size(total)}, to {local}",
        pick_format(json_output),
        objects=stats,
    )


@fs_app.command("cat")
def fs_cat(
    source: Annotated[str, typer.Argument(metavar="REF/PATH", help="Object to print.")],
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print JSON: the text, or base64 for binary content."),
    ] = False,
) -> None:
    """Write an object's bytes to standard output."""
    if not json_output:
        with Project.open() as project:
            project.cat(source, binary_stdout())
        return
    buffer = io.BytesIO()
    with Project.open() as project:
        project.cat(source, buffer)
    data = buffer.getvalue()
    try:
        record: dict[str, Any] = {"source": source, "size_bytes": len(data), "text": data.decode("utf-8")}
    except UnicodeDecodeError:
        record = {"source": source, "size_bytes": len(data), "base64": base64.b64encode(data).decode("ascii")}
    emit_record(record, Format.json)


@fs_app.command("ls")
def fs_ls(
    source: Annotated[
        str | None,
        typer.Argument(metavar="REF[/PREFIX]", help="Ref and optional prefix (default: the current branch)."),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="List every object below, not one level.")
    ] = False,
    amount: AmountOpt = None,
    after: Annotated[
        str, typer.Option("--after", metavar="KEY", help="Start after this path (exclusive).")
    ] = "",
    json_output: JsonOpt = False,
) -> None:
    """List objects (and, without --recursive, the folders) under a prefix."""
    with Project.open() as project:
        entries = project.ls(source, recursive=recursive, amount=amount, after=after)
    fmt = pick_format(json_output)
    if fmt is Format.json:
        emit_rows([_ls_json(e) for e in entries], fmt)
        return
    emit_rows([_ls_row(e) for e in entries], fmt, columns=["path", "size", "modified"], empty="(no objects)")


@fs_app.command("stat")
def fs_stat(
    source: Annotated[str, typer.Argument(metavar="REF/PATH", help="Object to describe.")],
    json_output: JsonOpt = False,
) -> None:
    """Show an object's checksum, size, time, content type and metadata."""
    with Project.open() as project:
        stats = project.stat(source)
    fmt = pick_format(json_output)
    if fmt is Format.json:
        emit_record(stats, fmt)
        return
    record = to_plain(stats)
    record["size_bytes"] = f"{stats.size_bytes} ({format_size(stats.size_bytes)})"
    record["mtime"] = format_time(stats.mtime)
    emit_record(record, fmt)


@fs_app.command("rm")
def fs_rm(
    target: Annotated[
        str, typer.Argument(metavar="BRANCH/PATH", help="Object (or folder, with -r) to delete.")
    ],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Delete every object under PATH.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Stage the deletion of objects (uncommitted until 'lakeline commit')."""
    with Project.open() as project:
        removed = project.rm(target, recursive=recursive)
    emit_message(
        f"removed {len(removed)} object(s) from {target} (uncommitted)",
        pick_format(json_output),
        paths=removed,
    )


# --- history ----------------------------------------------------------------------------------
@app.command("log")
def log(
    ref: Annotated[
        str | None, typer.Argument(metavar="REF", help="Where to start (default: the current branch).")
    ] = None,
    amount: AmountOpt = None,
    first_parent: Annotated[
        bool, typer.Option("--first-parent", help="Follow only the first parent of merge commits.")
    ] = False,
    prefix: Annotated[
        list[str] | None,
        typer.Option("--prefix", metavar="P", help="Only commits that changed objects under P (repeatable)."),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Show the commit history, newest first."""
    with Project.open() as project:
        commits = project.log(ref, amount=amount, first_parent=first_parent, prefixes=prefix or ())
    fmt = pick_format(json_output)
    if fmt is Format.json:
        emit_rows(commits, fmt)
        return
    emit_rows([_commit_row(c) for c in commits], fmt, empty="(no commits)")


@app.command("diff")
def diff(
    left: Annotated[
        str | None,
        typer.Argument(metavar="A", help="From this ref; alone, a branch whose uncommitted changes to show."),
    ] = None,
    right: Annotated[str | None, typer.Argument(metavar="B", help="To this ref.")] = None,
    prefix: Annotated[str, typer.Option("--prefix", metavar="P", help="Only paths under P.")] = "",
    two_dot: Annotated[
        bool,
        typer.Option(
            "--two-dot", help="Compare A and B directly (default: B against its merge base with A)."
        ),
    ] = False,
    amount: AmountOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Show what changed between two refs, or a branch's uncommitted changes."""
    with Project.open() as project:
        changes = project.diff(left, right, prefix=prefix, two_dot=two_dot, amount=amount)
    fmt = pick_format(json_output)
    if fmt is Format.json:
        emit_rows(changes, fmt)
        return
    emit_rows([_change_row(c) for c in changes], fmt, empty="(no changes)")


@app.command("merge")
def merge(
    source: Annotated[str, typer.Argument(metavar="SRC", help="Branch, tag or commit to merge.")],
    destination: Annotated[
        str | None, typer.Argument(metavar="DEST", help="Branch to merge into (default: the current branch).")
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy", metavar="dest-wins|source-wins", help="Resolve every conflict for one side."
        ),
    ] = None,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Commit message of the merge.")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Three-way merge into a branch; conflicts name their paths and change nothing."""
    with Project.open() as project:
        commit = project.merge(source, destination, strategy=strategy, message=message)
        into = destination or project.current_branch
    emit_message(
        f"merged {source!r} into {into!r}: commit {short_id(commit.id)}",
        pick_format(json_output),
        commit=commit,
    )


@app.command("revert")
def revert(
    branch: Annotated[str, typer.Argument(metavar="BRANCH", help="Branch to commit the revert on.")],
    commit: Annotated[str, typer.Argument(metavar="COMMIT", help="Commit (any ref) whose change to undo.")],
    parent_number: Annotated[
        int,
        typer.Option(
            "--parent-number", metavar="N", help="For a merge commit: the parent (1 or 2) to revert to."
        ),
    ] = 0,
    json_output: JsonOpt = False,
) -> None:
    """Undo a commit's change with a new commit (history is never rewritten)."""
    with Project.open() as project:
        result = project.revert(branch, commit, parent_number=parent_number)
    emit_message(
        f"reverted {commit!r} on {branch!r}: commit {short_id(result.id)}",
        pick_format(json_output),
        commit=result,
    )


# --- table views (JSON output gets the full records) ------------------------------------------
def _commit_row(commit: Commit) -> dict[str, Any]:
    first_line = commit.message.splitlines()[0] if commit.message else ""
    return {
        "commit": short_id(commit.id),
        "time": format_time(commit.creation_date),
        "committer": commit.committer,
        "message": first_line,
    }


def _change_row(change: Change) -> dict[str, Any]:
    return {"change": change.type, "path": change.path, "size": format_size(change.size_bytes)}


def _ls_row(entry: ObjectStats | CommonPrefix) -> dict[str, Any]:
    if isinstance(entry, CommonPrefix):
        return {"path": entry.path, "size": "", "modified": ""}
    return {"path": entry.path, "size": format_size(entry.size_bytes), "modified": format_time(entry.mtime)}


def _ls_json(entry: ObjectStats | CommonPrefix) -> dict[str, Any]:
    kind = "prefix" if isinstance(entry, CommonPrefix) else "object"
    plain: dict[str, Any] = to_plain(entry)
    return {"path_type": kind, **plain}
