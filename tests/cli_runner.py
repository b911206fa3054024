"""`lakeline` run in-process exactly as the console script runs it, and the checks on its result.

Shared by every test package that drives the CLI (cli, catalog, registry, lakeFS secrets).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Result:
    code: int
    stdout_bytes: bytes
    stderr: str

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    def json(self) -> Any:
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)

    def error_line(self) -> str:
        """The single error line; fails unless the run failed the way every error must."""
        lines = self.stderr.splitlines()
        assert self.code != 0, f"expected a failure, got exit 0 with {self.stdout!r}"
        assert len(lines) == 1, f"expected one stderr line, got {lines!r}"
        assert lines[0].startswith("lakeline: error: "), lines
        assert "Traceback" not in self.stderr
        return lines[0].removeprefix("lakeline: error: ")


Runner = Callable[..., Result]


def run_cli(capture: pytest.CaptureFixture[bytes], *args: str) -> Result:
    """`lakeline.cli.main(args)` with the console script's error handling and exit codes."""
    from lakeline.cli import main

    capture.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capture.readouterr()
    return Result(code, captured.out, captured.err.decode("utf-8", errors="replace"))
