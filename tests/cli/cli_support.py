"""Shared by the CLI tests: the result of one `lakeline` run and its checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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
