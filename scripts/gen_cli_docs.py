"""Generate docs/cli.md, the CLI reference, from the typer app (every command, argument, option).

    python scripts/gen_cli_docs.py           # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check   # exit 1 if docs/cli.md is out of date

tests/cli/test_cli_contract.py renders the same text in memory and compares it with the file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "cli.md"

HEADER = """\
# lakeline command reference

Generated from the code by `scripts/gen_cli_docs.py`; do not edit by hand (run
`.venv/bin/python scripts/gen_cli_docs.py` after changing a command; a test fails while this
file is out of date).

Every command prints a readable table or message by default and JSON with `--json`. A failure
prints one line, `lakeline: error: <what happened, to what, what to do>`, on stderr and exits
with a non-zero status; `lakeline --debug ...` shows the traceback of an unexpected error.
Commands find their project by looking for `.lakeline/` in the current folder and its parents
(or in `$LAKELINE_PROJECT`). Refs and paths are explained in [concepts.md](concepts.md):
`REF/PATH` splits at the first `/`, and `lakefs://REPO/REF/PATH` is accepted too.
"""


def walk(command: Any, ctx: Any) -> Iterator[tuple[Any, Any]]:
    """Every visible command under ``command`` (itself first), depth-first, sorted by name."""
    yield command, ctx
    subcommands = getattr(command, "commands", None) or {}
    for name in sorted(subcommands):
        sub = subcommands[name]
        if getattr(sub, "hidden", False):
            continue
        yield from walk(sub, type(ctx)(sub, info_name=name, parent=ctx))


def command_path(ctx: Any) -> str:
    return str(ctx.command_path)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(param: Any) -> str:
    default = param.default
    if default in (None, False, "", (), []) or callable(default):
        return ""
    return f" (default: `{default}`)"


def option_rows(command: Any, ctx: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(arguments, options) of a command as (signature, help) pairs; ``--help`` left out."""
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        signature, help_text = record
        if signature == "--help":
            continue
        row = (f"`{signature}`", _cell(help_text) + _default(param))
        (arguments if param.param_type_name == "argument" else options).append(row)
    return arguments, options


def render(app: Any = None) -> str:
    """The whole reference as Markdown (deterministic: sorted, no widths, no colours)."""
    import typer.main

    if app is None:
        from lakeline.cli import app as lakeline_app

        app = lakeline_app
    root = typer.main.get_command(app)
    ctx_class = root.context_class
    root_ctx = ctx_class(root, info_name="lakeline")
    entries = list(walk(root, root_ctx))

    lines = [HEADER, "## Commands", ""]
    for command, ctx in entries[1:]:
        summary = _cell(command.get_short_help_str(limit=200))
        path = command_path(ctx)
        lines.append(f"- [`{path}`](#{path.replace(' ', '-')}): {summary}")
    lines.append("")

    for command, ctx in entries:
        path = command_path(ctx)
        lines += [f"## {path}", ""]
        if command.help:
            lines += [command.help.strip(), ""]
        usage = " ".join(command.collect_usage_pieces(ctx))
        lines += ["```", f"{path} {usage}".rstrip(), "```", ""]
        subcommands = getattr(command, "commands", None) or {}
        if subcommands:
            lines += ["| Command | Description |", "|---|---|"]
            for name in sorted(subcommands):
                sub = subcommands[name]
                if not getattr(sub, "hidden", False):
                    lines.append(f"| `{path} {name}` | {_cell(sub.get_short_help_str(limit=200))} |")
            lines.append("")
        arguments, options = option_rows(command, ctx)
        if arguments:
            lines += ["| Argument | Description |", "|---|---|"]
            lines += [f"| {sig} | {text} |" for sig, text in arguments]
            lines.append("")
        if options:
            lines += ["| Option | Description |", "|---|---|"]
            lines += [f"| {sig} | {text} |" for sig, text in options]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/cli.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
        if current != text:
            print(f"{DOCS} is out of date: run python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    DOCS.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
