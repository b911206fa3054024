"""The ``lakeline`` command: a thin typer app over `lakeline.Project`.

Each command module registers its commands on `app`; commands parse, call one API function
and render through `lakeline.cli.output`. `main` turns any LakelineError into one line on
stderr and exit code 1; anything else is a bug, shown with its traceback only under --debug.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from lakeline.errors import LakelineError

app = typer.Typer(
    name="lakeline",
    help="Version ML models and their data on lakeFS branches, with DVC pipelines and a "
    "DuckDB lineage catalog.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from lakeline import __version__

        typer.echo(f"lakeline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    if debug:
        os.environ["LAKELINE_DEBUG"] = "1"


# Command modules register themselves on `app` when imported.
from lakeline.cli import (  # noqa: E402
    catalog_cmds,  # noqa: F401
    pipeline_cmds,  # noqa: F401
    registry_cmds,  # noqa: F401
    store_cmds,  # noqa: F401
)


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="lakeline", standalone_mode=False)
    except LakelineError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted", code=130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _fail("aborted", code=1)
    except Exception as exc:  # usage errors and the unexpected
        if _is_usage_error(exc):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if os.environ.get("LAKELINE_DEBUG"):
            raise
        _fail(f"unexpected {type(exc).__name__}: {exc} (this is a bug; rerun with --debug for the traceback)")
    sys.exit(0)


def _is_usage_error(exc: BaseException) -> bool:
    """click's ClickException, or typer's vendored copy of it (typer >= 0.29)."""
    import click

    typer_base = getattr(typer, "TyperException", ())
    return isinstance(exc, click.ClickException) or (
        bool(typer_base) and isinstance(exc, typer_base) and callable(getattr(exc, "show", None))
    )


def _fail(message: str, code: int = 1) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    sys.stderr.write(f"lakeline: error: {first}\n")
    sys.exit(code)
