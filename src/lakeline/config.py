"""Project configuration: where the store is, which repository, which branch is current.

A lakeline project is a folder (normally a git repository root) holding ``.lakeline/``:
``config.yaml`` (backend and repository), ``HEAD`` (the current branch), the embedded store
(``store/``) and the catalog (``catalog.duckdb``). Secrets are never written to config.yaml.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lakeline.errors import ConfigError, InvalidNameError
from lakeline.names import DEFAULT_BRANCH, check_branch_name, check_repository_name

STATE_DIR = ".lakeline"
CONFIG_FILE = "config.yaml"
HEAD_FILE = "HEAD"


@dataclass
class ProjectConfig:
    backend: str = "local"
    repository: str = "lakeline"
    default_branch: str = DEFAULT_BRANCH
    # Backend options (never secrets): local -> {"path": ...}; lakefs -> {"endpoint": ...}.
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, state_dir: Path) -> ProjectConfig:
        path = state_dir / CONFIG_FILE
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"{path} is missing: run 'lakeline init' in the project root") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {_first_line(exc)}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path} must hold a mapping")
        known = {k: raw[k] for k in ("backend", "repository", "default_branch", "options") if k in raw}
        config = cls(**known)
        try:
            check_repository_name(config.repository)
            check_branch_name(config.default_branch)
        except InvalidNameError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return config

    def save(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(state_dir / CONFIG_FILE, yaml.safe_dump(asdict(self), sort_keys=False))
        ignore = state_dir / ".gitignore"
        if not ignore.exists():  # the state folder is data, never source
            ignore.write_text("# lakeline's local state: store, catalog, current branch\n*\n")


def default_repository_name(root: Path) -> str:
    """A valid repository name from the folder name (``My_Project`` -> ``my-project``)."""
    name = re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-")[:63]
    try:
        return check_repository_name(name)
    except InvalidNameError:
        return "lakeline"


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd, or LAKELINE_PROJECT) with a project."""
    env = os.environ.get("LAKELINE_PROJECT")
    here = Path(env) if env and start is None else (start or Path.cwd())
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / STATE_DIR / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(f"no lakeline project at or above {here}: run 'lakeline init' first")


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new content, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
