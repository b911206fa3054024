"""Running ``dvc repro`` as DVC's own command, with this interpreter's folder first on PATH.

The CLI is used (not DVC's internal reproduce API) because its behaviour and output are what
users know. Its output goes to stderr line by line, so ``--json`` on stdout stays parseable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import TextIO

from lakeline.errors import PipelineError
from lakeline.pipeline.dvcproject import DvcProject

_TAIL = 20


def dvc_command() -> list[str]:
    """DVC next to this interpreter (``python -m dvc``), so the project's venv is the one used."""
    return [sys.executable, "-m", "dvc"]


def repro_environment() -> dict[str, str]:
    """This process's environment with the interpreter's folder first on PATH.

    Stage commands say ``python scripts/train.py``: that must be the interpreter lakeline runs
    in (where the project's packages are), as it would be in an activated virtualenv.
    """
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def dvc_repro(root: Path, *, output: TextIO | None = None) -> None:
    """``dvc repro`` in ``root``; PipelineError with DVC's last error line if it fails."""
    DvcProject.open(root)
    sink = output if output is not None else sys.stderr
    tail: deque[str] = deque(maxlen=_TAIL)
    try:
        proc = subprocess.Popen(
            [*dvc_command(), "repro"],
            cwd=root,
            env=repro_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise PipelineError(f"cannot start 'dvc repro' in {root}: {exc.strerror or exc}") from None
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            sink.write(line)
            if line.strip():
                tail.append(line.rstrip())
    code = proc.wait()
    if code != 0:
        errors = [line for line in tail if line.startswith("ERROR")]
        reason = errors[-1] if errors else (tail[-1] if tail else "no output")
        raise PipelineError(f"'dvc repro' failed (exit {code}) in {root}: {reason.removeprefix('ERROR: ')}")
