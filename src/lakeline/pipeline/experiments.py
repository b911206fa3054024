"""Experiments: ``exp-NAME`` branches, with their metrics and params read from provenance.

Creating one copies nothing (a branch) and leaves the workspace alone, like ``git switch -c``;
with ``git=True`` the git branch of the same name is created and switched to as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeline.errors import AlreadyExistsError, InvalidInputError, LakelineError, NotFoundError
from lakeline.names import EXPERIMENT_PREFIX, experiment_branch
from lakeline.pipeline.gitrepo import git_branch_exists, require_git, switch_new_branch
from lakeline.pipeline.provenance import METRICS_KEY, read_provenance
from lakeline.store.base import Commit, Repository


@dataclass(frozen=True)
class Experiment:
    name: str
    branch: str
    commit_id: str
    current: bool = False
    time: int = 0
    message: str = ""
    metrics: Mapping[str, Any] = field(default_factory=dict)


def experiment_name(branch: str) -> str:
    return branch[len(EXPERIMENT_PREFIX) :] if branch.startswith(EXPERIMENT_PREFIX) else branch


def create(repo: Repository, root: Path, name: str, *, source: str, git: bool = False) -> Experiment:
    """Branch ``exp-NAME`` from ``source``; with ``git`` also ``git switch -c exp-NAME``."""
    branch = experiment_branch(name)
    if git:
        require_git(root)
        if git_branch_exists(root, branch):
            raise AlreadyExistsError(
                f"git branch {branch!r} already exists: pick another experiment name, or drop --git"
            )
    try:
        repo.get_branch(branch)
    except NotFoundError:
        pass
    else:
        raise AlreadyExistsError(f"experiment {experiment_name(branch)!r} already exists (branch {branch!r})")
    created = repo.create_branch(branch, source)
    if git:
        try:
            switch_new_branch(root, branch)
        except LakelineError:
            repo.delete_branch(branch)  # all or nothing: no store branch without its git branch
            raise
    commit = repo.get_commit(created.commit_id)
    return _experiment(repo, branch, commit, current=True)


def list_experiments(repo: Repository, current_branch: str) -> list[Experiment]:
    return [
        _experiment(repo, b.name, repo.get_commit(b.commit_id), current=b.name == current_branch)
        for b in repo.list_branches(prefix=EXPERIMENT_PREFIX)
    ]


def show(repo: Repository, name: str, current_branch: str) -> dict[str, Any]:
    """An experiment's provenance summary: params, metrics, seeds, git sha, who and when."""
    branch = experiment_branch(name)
    head = _require(repo, branch)
    commit = repo.get_commit(head)
    record = read_provenance(repo, commit.id) or {}
    git = record.get("git") or {}
    return {
        "name": experiment_name(branch),
        "branch": branch,
        "current": branch == current_branch,
        "commit_id": commit.id,
        "message": commit.message,
        "committed": commit.creation_date,
        "provenance_time": record.get("time"),
        "user": record.get("user"),
        "git_commit": git.get("commit"),
        "git_dirty": git.get("dirty"),
        "params": record.get("params") or {},
        "metrics": record.get("metrics") or {},
        "seeds": record.get("seeds") or {},
    }


def delete(repo: Repository, name: str, current_branch: str) -> str:
    branch = experiment_branch(name)
    _require(repo, branch)
    if branch == current_branch:
        raise InvalidInputError(
            f"cannot delete experiment {experiment_name(branch)!r}: it is the current branch; "
            "check out another branch first (lakeline checkout main)"
        )
    repo.delete_branch(branch)
    return branch


def _require(repo: Repository, branch: str) -> str:
    try:
        return repo.get_branch(branch).commit_id
    except NotFoundError:
        raise NotFoundError(
            f"experiment {experiment_name(branch)!r} not found (no branch {branch!r}): "
            "see 'lakeline exp list'"
        ) from None


def _experiment(repo: Repository, branch: str, commit: Commit, *, current: bool) -> Experiment:
    return Experiment(
        name=experiment_name(branch),
        branch=branch,
        commit_id=commit.id,
        current=current,
        time=commit.creation_date,
        message=commit.message,
        metrics=_metrics(repo, commit),
    )


def _metrics(repo: Repository, commit: Commit) -> dict[str, Any]:
    # The commit's summary is cheap; an experiment whose head is not a pipeline commit still
    # shows the metrics of the last pipeline commit in its history (from its record).
    summary = commit.metadata.get(METRICS_KEY)
    if summary:
        try:
            parsed = json.loads(summary)
            if isinstance(parsed, dict):
                return parsed
        except ValueError:
            pass
    record = read_provenance(repo, commit.id)
    return dict((record or {}).get("metrics") or {})
