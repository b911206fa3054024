"""`Project`: the Python API. Every CLI command is one call here.

A Project is a folder with ``.lakeline/`` (see `lakeline.config`). It opens the configured
store backend and repository, remembers the current branch, and keeps the catalog in step
after its own writes. Area logic lives in its own package (pipeline, catalog, registry);
the methods here only route to it, so this file stays a table of contents.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from functools import cached_property
from pathlib import Path
from typing import Any

from lakeline.config import (
    HEAD_FILE,
    STATE_DIR,
    ProjectConfig,
    default_repository_name,
    find_root,
    write_atomic,
)
from lakeline.errors import AlreadyExistsError, ConfigError, NotFoundError
from lakeline.names import check_branch_name, check_repository_name
from lakeline.store import Repository, Store, open_store


class Project:
    def __init__(self, root: Path, config: ProjectConfig) -> None:
        self.root = root.resolve()
        self.config = config

    # --- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None) -> Project:
        root = find_root(Path(path) if path is not None else None)
        return cls(root, ProjectConfig.load(root / STATE_DIR))

    @classmethod
    def init(
        cls,
        path: Path | str | None = None,
        *,
        backend: str = "local",
        repository: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> Project:
        """Create ``.lakeline/`` and the repository (or attach to an existing lakeFS one)."""
        root = Path(path or Path.cwd()).resolve()
        if not root.is_dir():
            raise ConfigError(f"{root} is not a folder")
        state = root / STATE_DIR
        if (state / "config.yaml").exists():
            raise AlreadyExistsError(f"{root} already holds a lakeline project ({state})")
        name = check_repository_name(repository) if repository else default_repository_name(root)
        config = ProjectConfig(backend=backend, repository=name, options=dict(options or {}))
        project = cls(root, config)
        try:
            project.store.create_repository(name)
        except AlreadyExistsError:
            if backend == "local":
                raise
            project.store.repository(name)  # attach to the existing lakeFS repository
        config.default_branch = project.repo.info().default_branch
        config.save(state)
        project._write_gitignore()
        project.set_current_branch(config.default_branch)
        return project

    # --- the store --------------------------------------------------------------------------
    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @cached_property
    def store(self) -> Store:
        options = dict(self.config.options)
        if self.config.backend == "local":
            options.setdefault("path", str(self.state_dir / "store"))
            options["path"] = str(self.root / options["path"])
            options.setdefault("committer", self.user)
        elif self.config.backend == "lakefs":
            options["project_root"] = str(self.root)
        return open_store(self.config.backend, **options)

    @cached_property
    def repo(self) -> Repository:
        return self.store.repository(self.config.repository)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- identity and current branch ----------------------------------------------------------
    @cached_property
    def user(self) -> str:
        """Who acts: LAKELINE_USER, else git's user.email, else the OS user."""
        env = os.environ.get("LAKELINE_USER")
        if env:
            return env
        try:
            out = subprocess.run(
                ["git", "config", "user.email"],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        return out or getpass.getuser()

    @property
    def current_branch(self) -> str:
        try:
            name = (self.state_dir / HEAD_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return self.config.default_branch
        return name or self.config.default_branch

    def set_current_branch(self, name: str) -> None:
        check_branch_name(name)
        write_atomic(self.state_dir / HEAD_FILE, name + "\n")

    def branch_or_current(self, branch: str | None) -> str:
        return branch if branch else self.current_branch

    def require_branch(self, name: str) -> None:
        try:
            self.repo.get_branch(name)
        except NotFoundError:
            raise NotFoundError(f"branch {name!r} not found in {self.config.repository!r}") from None

    def _write_gitignore(self) -> None:
        ignore = self.state_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# lakeline's local state: store, catalog, current branch\n*\n")

    # --- after lakeline's own writes ----------------------------------------------------------
    def after_write(self) -> None:
        """Keep derived state in step after a write (the catalog syncs incrementally)."""
        sync = getattr(self, "sync_catalog", None)
        if sync is not None:
            sync(quiet=True)
