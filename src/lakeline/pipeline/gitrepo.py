"""The git facts a pipeline commit records: HEAD's sha, dirty flag, branch, tracked files.

Runs the ``git`` command (read-only calls, plus ``git switch -c`` for experiments). Remote
URLs are never read: they can hold credentials, and provenance must not.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from lakeline.errors import PipelineError

_TIMEOUT = 60


@dataclass(frozen=True)
class GitState:
    commit: str | None  # None before the first git commit
    dirty: bool
    branch: str | None  # None on a detached HEAD

    def as_record(self) -> dict[str, object]:
        return {"commit": self.commit, "dirty": self.dirty, "branch": self.branch}


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise PipelineError("git is not installed: lakeline needs it to record the pipeline's code") from None
    except subprocess.TimeoutExpired:
        raise PipelineError(f"'git {' '.join(args)}' timed out after {_TIMEOUT} s in {root}") from None
    if check and done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
        reason = detail[0] if detail else "no output"
        raise PipelineError(f"'git {' '.join(args)}' failed in {root}: {reason}")
    return done


def require_git(root: Path) -> None:
    """PipelineError unless ``root`` is inside a git work tree."""
    done = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if done.returncode != 0 or done.stdout.strip() != "true":
        raise PipelineError(
            f"{root} is not inside a git repository: run 'git init' there "
            "(lakeline records the git commit of the pipeline's code)"
        )


def git_state(root: Path) -> GitState:
    require_git(root)
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    commit = head.stdout.strip() if head.returncode == 0 and head.stdout.strip() else None
    branch_out = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    branch = branch_out.stdout.strip() if branch_out.returncode == 0 else None
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    # No commit yet means nothing of the code is recorded: that is as dirty as it gets.
    dirty = commit is None or bool(status.stdout.strip())
    return GitState(commit=commit, dirty=dirty, branch=branch or None)


def tracked_files(root: Path) -> set[str]:
    """Paths (relative to ``root``, '/'-separated) of files git tracks under ``root``."""
    out = _git(root, "ls-files", "-z", "--", ".").stdout
    return {p for p in out.split("\0") if p}


def modified_tracked_files(root: Path) -> set[str]:
    """Tracked files whose workspace content differs from HEAD (staged or not), relative to root."""
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--", ".").stdout
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
    changed: set[str] = set()
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            i += 1  # the rename's source path follows as its own entry
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        changed.add(path)
    return changed


def switch_new_branch(root: Path, name: str) -> None:
    """``git switch -c name`` in ``root``; PipelineError with git's reason if it refuses."""
    require_git(root)
    _git(root, "switch", "-c", name)


def git_branch_exists(root: Path, name: str) -> bool:
    done = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}", check=False)
    return done.returncode == 0
