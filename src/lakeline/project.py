"""`Project`: the Python API. Every CLI command is one call here.

A Project is a folder with ``.lakeline/`` (see `lakeline.config`). It opens the configured
store backend and repository, remembers the current branch, and keeps the catalog in step
after its own writes. Area logic lives in its own package (pipeline, catalog, registry);
the methods here only route to it, so this file stays a table of contents.
"""

from __future__ import annotations

import getpass
import itertools
import os
import subprocess
import typing
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

from lakeline import transfer
from lakeline.config import (
    HEAD_FILE,
    STATE_DIR,
    ProjectConfig,
    default_repository_name,
    find_root,
    write_atomic,
)
from lakeline.errors import (
    AlreadyExistsError,
    ConfigError,
    InvalidInputError,
    InvalidNameError,
    InvalidPathError,
    InvalidRefError,
    NotFoundError,
)
from lakeline.names import check_branch_name, check_repository_name, check_tag_name
from lakeline.refpath import RefPath, check_prefix, parse_branch_path, parse_object_path, parse_ref_path
from lakeline.store import Repository, Store, open_store
from lakeline.store.base import Branch, Change, Commit, CommonPrefix, MergeStrategy, ObjectStats, Tag
from lakeline.transfer import ProgressCallback, check_metadata

if typing.TYPE_CHECKING:  # area types only: pipeline, registry, catalog and duckdb load lazily
    from contextlib import AbstractContextManager

    import duckdb

    from lakeline.catalog.lineage import ImpactReport, LineageGraph
    from lakeline.catalog.sql import QueryResult
    from lakeline.catalog.sync import SyncResult
    from lakeline.pipeline.commit import CommitResult
    from lakeline.pipeline.experiments import Experiment
    from lakeline.pipeline.workspace import CheckoutResult, WorkspaceStatus
    from lakeline.registry.context import RegistryContext
    from lakeline.registry.deploy import Resolution, RollbackResult
    from lakeline.registry.events import Event as RegistryEvent
    from lakeline.registry.promote import PromoteResult


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

    # --- after lakeline's own writes ----------------------------------------------------------
    def after_write(self) -> None:
        """Keep derived state in step after a write (the catalog syncs incrementally)."""
        sync = getattr(self, "sync_catalog", None)
        if sync is not None:
            sync(quiet=True)

    # --- pipeline ---------------------------------------------------------------------------------
    # DVC pipelines, the workspace and experiments; the logic lives in lakeline.pipeline.
    def commit(
        self,
        message: str,
        *,
        branch: str | None = None,
        metadata: Mapping[str, str] | None = None,
        allow_empty: bool = False,
        allow_stale: bool = False,
    ) -> CommitResult:
        """Commit the branch (default: current). In a DVC project (dvc.yaml at the root) stage the
        pipeline's outputs, params and DVC files with a provenance record; else commit what is staged."""
        from lakeline.pipeline.commit import pipeline_commit, plain_commit
        from lakeline.pipeline.dvcproject import DvcProject

        target = check_branch_name(self.branch_or_current(branch))
        if DvcProject.present(self.root):
            result = pipeline_commit(
                self.repo,
                self.root,
                self.state_dir,
                branch=target,
                message=message,
                user=self.user,
                metadata=metadata,
                allow_empty=allow_empty,
                allow_stale=allow_stale,
            )
        else:
            result = plain_commit(self.repo, target, message, metadata=metadata, allow_empty=allow_empty)
        self.after_write()
        return result

    def run(
        self,
        message: str | None = None,
        *,
        branch: str | None = None,
        allow_stale: bool = False,
        output: typing.TextIO | None = None,
    ) -> CommitResult:
        """``dvc repro`` (its output to ``output``, default stderr), then a pipeline commit."""
        from lakeline.pipeline.repro import dvc_repro

        dvc_repro(self.root, output=output)
        return self.commit(message or "lakeline run: dvc repro", branch=branch, allow_stale=allow_stale)

    def checkout(self, ref: str, *, force: bool = False) -> CheckoutResult:
        """Materialise ``ref``'s files into the workspace; a branch becomes the current branch."""
        from lakeline.pipeline.workspace import checkout

        result = checkout(self.repo, self.root, self.state_dir, ref, force=force)
        if result.branch is not None:
            self.set_current_branch(result.branch)
        return result

    def status(self, *, branch: str | None = None) -> WorkspaceStatus:
        """Tracked files added/modified/deleted in the workspace against the branch; stale stages."""
        from lakeline.pipeline.workspace import status

        return status(self.repo, self.root, self.state_dir, check_branch_name(self.branch_or_current(branch)))

    def exp_new(self, name: str, *, from_ref: str | None = None, git: bool = False) -> Experiment:
        """Branch ``exp-NAME`` from ``from_ref`` (default: main) and make it the current branch."""
        from lakeline.pipeline import experiments

        experiment = experiments.create(
            self.repo, self.root, name, source=from_ref or self.config.default_branch, git=git
        )
        self.set_current_branch(experiment.branch)
        self.after_write()
        return experiment

    def exp_list(self) -> list[Experiment]:
        from lakeline.pipeline import experiments

        return experiments.list_experiments(self.repo, self.current_branch)

    def exp_show(self, name: str) -> dict[str, Any]:
        from lakeline.pipeline import experiments

        return experiments.show(self.repo, name, self.current_branch)

    def exp_delete(self, name: str) -> str:
        """Delete experiment branch ``exp-NAME`` (not the current one); returns the branch name."""
        from lakeline.pipeline import experiments

        branch = experiments.delete(self.repo, name, self.current_branch)
        self.after_write()
        return branch

    def read_provenance(self, ref: str) -> dict[str, Any] | None:
        """The provenance record as of ``ref`` (docs/formats.md), or None if it has none."""
        from lakeline.pipeline.provenance import read_provenance

        return read_provenance(self.repo, ref)

    # --- registry ---------------------------------------------------------------------------------
    def _registry(self) -> RegistryContext:
        from lakeline.registry.context import RegistryContext

        return RegistryContext(self.repo, self.user, self.root, self.state_dir, self.config.default_branch)

    def promote(
        self,
        experiment: str,
        *,
        message: str = "",
        model: str | None = None,
        bump: str | None = None,
        version: str | None = None,
        strategy: str | None = None,
    ) -> PromoteResult:
        """Gate, merge ``exp-NAME`` into main and tag the merge with the model's next version."""
        from lakeline.registry import promote

        result = promote.promote(
            self._registry(),
            experiment,
            model=model,
            bump=bump,
            version=version,
            reason=message,
            strategy=self._check_strategy(strategy),
        )
        self.after_write()
        return result

    def approve(self, experiment: str, *, message: str = "", model: str | None = None) -> RegistryEvent:
        """Approve the experiment branch's current head for promotion."""
        from lakeline.registry import promote

        event = promote.approve(self._registry(), experiment, model=model, reason=message)
        self.after_write()
        return event

    def alias_set(self, model: str, alias: str, version: str, *, message: str = "") -> RegistryEvent:
        from lakeline.names import Version
        from lakeline.registry import deploy

        event = deploy.alias_set(self._registry(), model, alias, Version.parse(version), message)
        self.after_write()
        return event

    def alias_list(self, model: str | None = None, *, history: bool = False) -> list[dict[str, Any]]:
        from lakeline.registry import deploy

        return deploy.alias_rows(self._registry().state(), model, history)

    def deploy(
        self,
        model: str,
        version: str,
        *,
        env: str,
        traffic: float | None = None,
        shadow: bool = False,
        message: str = "",
    ) -> RegistryEvent:
        """Record a deployment: canary (traffic < 100), full switch (100) or shadow (0% served)."""
        from lakeline.names import Version
        from lakeline.registry import deploy

        event = deploy.deploy(
            self._registry(),
            model,
            Version.parse(version),
            env,
            traffic=traffic,
            shadow=shadow,
            reason=message,
        )
        self.after_write()
        return event

    def deployments(self, model: str | None = None) -> list[dict[str, Any]]:
        from lakeline.registry import deploy

        return deploy.deployment_rows(self._registry().state(), model)

    def resolve(self, model: str, *, env: str = "production", key: str | None = None) -> Resolution:
        """The version (and where to read its artifact) that serving code should load."""
        from lakeline.registry import deploy

        return deploy.resolve(self._registry(), model, env, key)

    def rollback(
        self,
        model: str,
        *,
        env: str | None = None,
        to: str | None = None,
        restore_main: bool = False,
        message: str = "",
    ) -> RollbackResult:
        from lakeline.names import Version
        from lakeline.registry import deploy

        result = deploy.rollback(
            self._registry(),
            model,
            env=env,
            to=Version.parse(to) if to else None,
            restore_main=restore_main,
            reason=message,
        )
        self.after_write()
        return result

    def retire(self, model: str, version: str, *, message: str = "") -> RegistryEvent:
        from lakeline.names import Version
        from lakeline.registry import deploy

        event = deploy.retire(self._registry(), model, Version.parse(version), message)
        self.after_write()
        return event

    def models(self) -> list[dict[str, Any]]:
        from lakeline.registry import queries

        return queries.models(self._registry())

    def versions(self, model: str) -> list[dict[str, Any]]:
        from lakeline.registry import queries

        return queries.versions(self._registry(), model)

    def show(self, target: str) -> dict[str, Any]:
        """``classifier@v1.2.0``: provenance summary, metrics, lineage roots, aliases, deployments."""
        from lakeline.registry import queries

        return queries.show(self._registry(), target)

    def compare(self, a: str, b: str) -> list[dict[str, Any]]:
        """Two versions (``M@vX.Y.Z``) or refs: params, metrics, signature and data differences."""
        from lakeline.registry import queries

        return queries.compare(self._registry(), a, b)

    def exp_compare(self, *, env: str = "production") -> list[dict[str, Any]]:
        """Every experiment beside main's live version, one row each."""
        from lakeline.registry import queries

        return queries.exp_compare(self._registry(), env=env)

    # --- catalog ----------------------------------------------------------------------------------
    @property
    def catalog_path(self) -> Path:
        """The catalog file, ``.lakeline/catalog.duckdb`` (derived; `rebuild_catalog` recreates it)."""
        from lakeline.catalog.connection import catalog_file

        return catalog_file(self.state_dir)

    def sync_catalog(self, quiet: bool = False) -> SyncResult:
        """Index what is new in the store. ``quiet`` (after lakeline's own writes) waits only
        briefly for a busy catalog and never fails: a skipped sync is caught up by the next."""
        from lakeline.catalog import connection, sync
        from lakeline.errors import LakelineError

        wait = connection.AUTO_SYNC_SECONDS if quiet else connection.WAIT_SECONDS
        if not quiet:
            return sync.sync(self.repo, self.catalog_path, backend=self.config.backend, timeout=wait)
        try:
            return sync.sync(self.repo, self.catalog_path, backend=self.config.backend, timeout=wait)
        except LakelineError as exc:
            return sync.SyncResult(skipped=True, reason=str(exc))

    def rebuild_catalog(self) -> SyncResult:
        """Build the catalog again from nothing (the old file is replaced only when done)."""
        from lakeline.catalog import connection, sync

        return sync.rebuild(
            self.repo, self.catalog_path, backend=self.config.backend, timeout=connection.WAIT_SECONDS
        )

    def catalog(self, *, sync: bool = True) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A read-only connection to the catalog (no file access), synced first unless ``sync``
        is False: ``with project.catalog() as conn: conn.execute(...)``. Keep it short-lived:
        while it is open, syncs in this process are skipped."""
        from lakeline.catalog import connection

        if sync:
            self.sync_catalog(quiet=True)
        return connection.open_reader(self.catalog_path, timeout=connection.WAIT_SECONDS)

    def sql(self, query: str, *, sync: bool = True, parquet: Path | str | None = None) -> QueryResult:
        """Run read-only SQL on the catalog; with ``parquet``, also write the rows to that file."""
        from lakeline.catalog import sql as catalog_sql

        with self.catalog(sync=sync) as conn:
            result = catalog_sql.run_query(conn, query, arrow=parquet is not None)
        if parquet is not None:
            catalog_sql.write_parquet(result, Path(parquet), state_dir=self.state_dir)
        return result

    def lineage(self, target: str) -> LineageGraph:
        """Upstream closure of ``PATH@REF``, ``PATH`` (current branch) or ``MODEL@VERSION|ALIAS``."""
        from lakeline.catalog import lineage

        def resolve(conn: duckdb.DuckDBPyConnection) -> lineage.Target:
            return lineage.resolve_target(
                conn, self.repo, target, default_ref=self.current_branch, allow_model=True
            )

        return lineage.fresh_read(
            lambda sync: self.catalog(sync=sync),
            self.sync_catalog,
            resolve,
            lambda conn, resolved: lineage.upstream(conn, self.repo, resolved),
        )

    def impact(self, target: str) -> ImpactReport:
        """Downstream closure of the object ``PATH@REF``: every output, commit and model version
        built from its content, transitively (answers data-deletion requests)."""
        from lakeline.catalog import lineage

        def resolve(conn: duckdb.DuckDBPyConnection) -> lineage.Target:
            return lineage.resolve_target(
                conn, self.repo, target, default_ref=self.current_branch, allow_model=False
            )

        return lineage.fresh_read(
            lambda sync: self.catalog(sync=sync),
            self.sync_catalog,
            resolve,
            lambda conn, resolved: lineage.downstream(conn, self.repo, resolved),
        )

    # --- store operations -----------------------------------------------------------------------
    # Thin routes onto the repository. ``REF/PATH`` arguments are parsed by lakeline.refpath and
    # also accept ``lakefs://REPO/REF/PATH``; where a branch is optional the current one is used.
    def ref_path(self, text: str) -> RefPath:
        """Parse ``REF[/PATH]`` or a ``lakefs://`` URI naming this project's repository."""
        return parse_ref_path(text, repository=self.config.repository)

    def branch_create(self, name: str, source: str | None = None) -> Branch:
        """Create branch ``name`` at ``source`` (default: the current branch); copies nothing."""
        check_branch_name(name)
        branch = self.repo.create_branch(name, self.branch_or_current(source))
        self.after_write()
        return branch

    def branch_list(self, *, prefix: str = "", after: str = "", amount: int | None = None) -> list[Branch]:
        return list(self.repo.list_branches(prefix=prefix, after=after, amount=self._check_amount(amount)))

    def branch_delete(self, name: str) -> None:
        check_branch_name(name)
        if name == self.current_branch:
            raise InvalidInputError(
                f"cannot delete branch {name!r}: it is the current branch; "
                f"check out another one first (lakeline checkout {self.config.default_branch})"
            )
        self.repo.delete_branch(name)
        self.after_write()

    def branch_reset(self, name: str | None = None, *, path: str | None = None) -> list[Change]:
        """Discard uncommitted changes (all, or under ``path``); returns what was discarded."""
        branch = check_branch_name(self.branch_or_current(name))
        discarded = list(self.repo.diff_uncommitted(branch, prefix=check_prefix(path or "")))
        self.repo.reset_branch(branch, path or None)
        self.after_write()
        return discarded

    def upload(
        self,
        local: Path | str,
        target: str,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[ObjectStats]:
        """Stage a local file or folder (recursively) at ``BRANCH/PATH``; nothing is committed."""
        dest = parse_branch_path(target, repository=self.config.repository)
        meta = check_metadata(metadata)
        files = transfer.plan_upload(Path(local), dest.path)
        self.require_branch(dest.ref)
        stats = transfer.upload(
            self.repo, dest.ref, files, metadata=meta or None, content_type=content_type, progress=progress
        )
        self.after_write()
        return stats

    def download(
        self, source: str, local: Path | str, *, progress: ProgressCallback | None = None
    ) -> list[ObjectStats]:
        """Write ``REF/PATH`` to ``local``; a prefix (``REF/dir/``, ``REF``) downloads recursively."""
        src = self.ref_path(source)
        if src.is_prefix:
            listing = self.repo.list_objects(src.ref, prefix=src.path)
            objects = [entry for entry in listing if isinstance(entry, ObjectStats)]
            plan = transfer.plan_download(objects, src.path, Path(local))
            if not plan:
                raise NotFoundError(f"no objects under {str(src)!r} to download")
        else:
            stats = self._stat(src)
            plan = [transfer.Download(stats, transfer.single_download_dest(src.path, local))]
        return transfer.download(self.repo, src.ref, plan, progress=progress)

    def cat(self, source: str, out: BinaryIO) -> int:
        """Stream the object at ``REF/PATH`` into ``out``; returns the number of bytes written."""
        src = self._object_ref_path(source)
        self._stat(src)
        written = 0
        with self.repo.open_object(src.ref, src.path) as stream:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
                written += len(chunk)
        return written

    def ls(
        self,
        source: str | None = None,
        *,
        recursive: bool = False,
        amount: int | None = None,
        after: str = "",
    ) -> list[ObjectStats | CommonPrefix]:
        """Objects under ``REF[/PREFIX]`` (default: the current branch); folders unless recursive."""
        src = self.ref_path(source) if source else RefPath(self.current_branch)
        listing = self.repo.list_objects(
            src.ref,
            prefix=src.path,
            delimiter="" if recursive else "/",
            after=after,
            amount=self._check_amount(amount),
        )
        return list(listing)

    def stat(self, source: str) -> ObjectStats:
        return self._stat(self._object_ref_path(source))

    def rm(self, target: str, *, recursive: bool = False) -> list[str]:
        """Stage the deletion of ``BRANCH/PATH`` (every object under it with ``recursive``)."""
        dest = parse_branch_path(target, repository=self.config.repository)
        if recursive:
            prefix = dest.path if dest.is_prefix else dest.path + "/"
            listing = self.repo.list_objects(dest.ref, prefix=prefix)
            paths = [entry.path for entry in listing if isinstance(entry, ObjectStats)]
            if not paths:
                raise NotFoundError(f"no objects under {dest.ref}/{prefix} to remove")
            self.repo.delete_objects(dest.ref, paths)
        else:
            if dest.is_prefix:
                raise InvalidPathError(f"{target!r} names no object: to remove a folder add --recursive")
            self._stat(dest)
            self.repo.delete_object(dest.ref, dest.path)
            paths = [dest.path]
        self.after_write()
        return paths

    def log(
        self,
        ref: str | None = None,
        *,
        amount: int | None = None,
        after: str = "",
        first_parent: bool = False,
        prefixes: Sequence[str] = (),
    ) -> list[Commit]:
        """Commits reachable from ``ref`` (default: the current branch), newest first."""
        checked = [check_prefix(p) for p in prefixes]
        commits = self.repo.log(
            self.branch_or_current(ref),
            amount=self._check_amount(amount),
            after=after,
            first_parent=first_parent,
            prefixes=checked,
        )
        return list(commits)

    def diff(
        self,
        left: str | None = None,
        right: str | None = None,
        *,
        prefix: str = "",
        two_dot: bool = False,
        amount: int | None = None,
    ) -> list[Change]:
        """Changes from ``left`` to ``right``; with no ``right``, a branch's uncommitted changes."""
        check_prefix(prefix)
        if right is None:
            branch = self.branch_or_current(left)
            try:
                check_branch_name(branch)
            except InvalidNameError:
                raise InvalidRefError(
                    f"{branch!r} is not a branch, so it has no uncommitted changes: "
                    "give two refs to compare (lakeline diff A B)"
                ) from None
            changes = self.repo.diff_uncommitted(branch, prefix=prefix)
            return list(itertools.islice(changes, self._check_amount(amount)))
        changes = self.repo.diff(
            self.branch_or_current(left),
            right,
            prefix=prefix,
            diff_type="two_dot" if two_dot else "three_dot",
            amount=self._check_amount(amount),
        )
        return list(changes)

    def merge(
        self,
        source: str,
        destination: str | None = None,
        *,
        strategy: str | None = None,
        message: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Commit:
        """Three-way merge of ``source`` into branch ``destination`` (default: the current one)."""
        dest = check_branch_name(self.branch_or_current(destination))
        commit = self.repo.merge(
            source, dest, message=message or None, metadata=metadata, strategy=self._check_strategy(strategy)
        )
        self.after_write()
        return commit

    def revert(self, branch: str, ref: str, *, parent_number: int = 0, message: str | None = None) -> Commit:
        """Commit the inverse of ``ref``'s change onto ``branch`` (``parent_number`` for merges)."""
        check_branch_name(branch)
        if parent_number < 0:
            raise InvalidInputError(f"invalid parent number {parent_number}: use 1 or 2 for a merge commit")
        commit = self.repo.revert(branch, ref, parent_number=parent_number, message=message or None)
        self.after_write()
        return commit

    def tag_create(self, name: str, ref: str | None = None) -> Tag:
        """Tag the commit ``ref`` resolves to (default: the current branch's head); immutable."""
        check_tag_name(name)
        tag = self.repo.create_tag(name, self.branch_or_current(ref))
        self.after_write()
        return tag

    def tag_list(self, *, prefix: str = "", after: str = "", amount: int | None = None) -> list[Tag]:
        return list(self.repo.list_tags(prefix=prefix, after=after, amount=self._check_amount(amount)))

    def tag_delete(self, name: str) -> None:
        check_tag_name(name)
        self.repo.delete_tag(name)
        self.after_write()

    def _object_ref_path(self, text: str) -> RefPath:
        return parse_object_path(text, repository=self.config.repository)

    def _stat(self, src: RefPath) -> ObjectStats:
        """Stat one object; when only a folder of that name exists, say how to reach it."""
        try:
            return self.repo.stat_object(src.ref, src.path)
        except NotFoundError:
            folder = self.repo.list_objects(src.ref, prefix=src.path + "/", amount=1)
            if next(iter(folder), None) is not None:
                raise InvalidPathError(
                    f"{str(src)!r} is a folder, not an object: use '{src}/' (with --recursive to remove it)"
                ) from None
            raise

    @staticmethod
    def _check_amount(amount: int | None) -> int | None:
        if amount is not None and amount < 0:
            raise InvalidInputError(f"invalid amount {amount}: must be 0 or more")
        return amount

    @staticmethod
    def _check_strategy(strategy: str | None) -> MergeStrategy | None:
        if strategy is None or strategy == "":
            return None
        if strategy == "dest-wins":
            return "dest-wins"
        if strategy == "source-wins":
            return "source-wins"
        raise InvalidInputError(f"invalid merge strategy {strategy!r}: use dest-wins or source-wins")
