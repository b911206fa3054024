"""Sync: index the store's commits, objects, provenance and registry events into the catalog.

Incremental and idempotent: each run walks back from every branch and tag head only until it
meets commits already indexed, then indexes the new ones parents-first in one transaction, so
a commit is only ever indexed together with all its ancestors and a killed sync leaves the
previous state. Only the store protocol is used (log, list_branches, list_tags, list_objects,
get_object, diff, stat_object), so the lakeFS backend works the same as the embedded store.
Derived tables (models, model_versions, aliases, deployments) are rebuilt at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeline.catalog import schema
from lakeline.catalog.connection import catalog_lock, replace_catalog, writer_connection
from lakeline.catalog.derived import derive_tables
from lakeline.catalog.prefetch import Fetched, Prefetcher, provenance_path
from lakeline.catalog.rows import (
    EVENT_SCHEMA,
    EVENTS_PREFIX,
    Entry,
    Rows,
    bool_or_none,
    epoch,
    event_row,
    insert_rows,
    object_entry,
    provenance_rows,
)
from lakeline.config import write_atomic
from lakeline.errors import CatalogError, NotFoundError
from lakeline.names import parse_version_tag
from lakeline.store.base import Commit, CommonPrefix, Repository

if TYPE_CHECKING:
    import duckdb

PROVENANCE_SCHEMA = "lakeline.provenance/1"
_FLUSH_ROWS = 200_000
# Trees bigger than this are derived from their parent's tree plus a diff, not listed whole.
INCREMENTAL_TREE_MIN = 5_000
# ... unless the diff is so large that listing is cheaper than stat-ing every change.
INCREMENTAL_TREE_MAX_CHANGES = 2_000
# A delta tree becomes a base when it differs from its base in more than this many paths (and
# more than a tenth of its objects).
KEYFRAME_MIN = 1_000
_TREE_INFO_CACHE = 64
_SMALL_TREE_CACHE = 64


@dataclass(frozen=True)
class SyncResult:
    """What one sync did. ``skipped`` is set when an automatic sync found the catalog busy."""

    commits: int = 0
    events: int = 0
    trees: int = 0
    branches: int = 0
    tags: int = 0
    pruned: int = 0
    total_commits: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    skipped: bool = False
    reason: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


def sync(
    repo: Repository, db: Path, *, backend: str, timeout: float, tuning: SyncTuning | None = None
) -> SyncResult:
    """Bring the catalog at ``db`` up to date with ``repo`` (creating it if needed).

    When no branch or tag moved since the last sync (the stamp file says so, and the catalog
    file is the one the stamp was written for) nothing is opened at all.
    """
    started = time.perf_counter()
    with catalog_lock(db, exclusive=True, timeout=timeout):
        refs = _Refs.read(repo)
        stamp = refs.stamp(repo.name, backend)
        total = _stamp_matches(db, stamp)
        if total is not None:
            return SyncResult(
                branches=len(refs.branches),
                tags=len(refs.tags),
                total_commits=total,
                seconds=time.perf_counter() - started,
            )
        _stamp_file(db).unlink(missing_ok=True)
        with _duckdb_errors(db), writer_connection(db) as conn:
            fresh = ensure_schema(conn, repo.name, backend)
            result = _Indexer(conn, repo, refs, tuning or SyncTuning()).run()
        _write_stamp(db, stamp, result.total_commits)
    return _finish(result, started, rebuilt=fresh)


def rebuild(
    repo: Repository, db: Path, *, backend: str, timeout: float, tuning: SyncTuning | None = None
) -> SyncResult:
    """Build a new catalog from nothing and swap it in; the old one stays until the swap."""
    started = time.perf_counter()
    build = db.with_name(db.name + ".rebuild")
    with catalog_lock(db, exclusive=True, timeout=timeout):
        _stamp_file(db).unlink(missing_ok=True)
        for leftover in (build, build.with_name(build.name + ".wal")):
            leftover.unlink(missing_ok=True)
        refs = _Refs.read(repo)
        try:
            with _duckdb_errors(db), writer_connection(build) as conn:
                ensure_schema(conn, repo.name, backend)
                result = _Indexer(conn, repo, refs, tuning or SyncTuning()).run()
        except BaseException:
            build.unlink(missing_ok=True)
            raise
        replace_catalog(db, build)
        _write_stamp(db, refs.stamp(repo.name, backend), result.total_commits)
    return _finish(result, started, rebuilt=True)


@contextlib.contextmanager
def _duckdb_errors(db: Path) -> Iterator[None]:
    import duckdb

    try:
        yield
    except duckdb.Error as exc:
        first = " ".join(str(exc).split())[:300]
        raise CatalogError(
            f"syncing the catalog {db} failed ({first}); run 'lakeline catalog rebuild'"
        ) from None


@dataclass(frozen=True)
class _Refs:
    branches: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]

    @classmethod
    def read(cls, repo: Repository) -> _Refs:
        branches = tuple(sorted((b.name, b.commit_id) for b in repo.list_branches()))
        tags = tuple(sorted((t.name, t.commit_id) for t in repo.list_tags()))
        return cls(branches, tags)

    @property
    def heads(self) -> set[str]:
        return {c for _, c in self.branches} | {c for _, c in self.tags}

    def stamp(self, repository: str, backend: str) -> str:
        text = json.dumps([schema.SCHEMA_VERSION, repository, backend, self.branches, self.tags])
        return hashlib.sha256(text.encode()).hexdigest()


def _stamp_file(db: Path) -> Path:
    return db.with_name(db.name + ".synced")


def _file_identity(db: Path) -> list[int] | None:
    try:
        st = db.stat()
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def _stamp_matches(db: Path, stamp: str) -> int | None:
    """The number of indexed commits if the catalog is in step with ``stamp``, else None."""
    try:
        saved = json.loads(_stamp_file(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    identity = _file_identity(db)
    if not isinstance(saved, dict) or identity is None:
        return None
    if saved.get("refs") != stamp or saved.get("db") != identity or not isinstance(saved.get("commits"), int):
        return None
    return int(saved["commits"])


def _write_stamp(db: Path, stamp: str, commits: int) -> None:
    write_atomic(_stamp_file(db), json.dumps({"refs": stamp, "db": _file_identity(db), "commits": commits}))


def _finish(result: SyncResult, started: float, *, rebuilt: bool) -> SyncResult:
    from dataclasses import replace

    return replace(result, seconds=time.perf_counter() - started, rebuilt=rebuilt)


@dataclass(frozen=True)
class SyncTuning:
    """Knobs the tests and benchmarks turn; the defaults suit real repositories."""

    incremental_tree_min: int = INCREMENTAL_TREE_MIN
    incremental_tree_max_changes: int = INCREMENTAL_TREE_MAX_CHANGES
    keyframe_min: int = KEYFRAME_MIN


# --- schema --------------------------------------------------------------------------------------
def ensure_schema(conn: duckdb.DuckDBPyConnection, repository: str, backend: str) -> bool:
    """Create the schema if missing or stale (other version or repository); True if created."""
    info = _read_info(conn)
    if info.get("schema_version") == str(schema.SCHEMA_VERSION) and info.get("repository") == repository:
        return False
    conn.execute("BEGIN TRANSACTION")
    for (name,) in conn.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall():
        conn.execute(f'DROP VIEW IF EXISTS "{name}"')
    for (name,) in conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall():
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    for statement in schema.create_statements():
        conn.execute(statement)
    now = datetime.now(UTC).isoformat()
    conn.executemany(
        "INSERT INTO catalog_info VALUES (?, ?)",
        [
            ("schema_version", str(schema.SCHEMA_VERSION)),
            ("repository", repository),
            ("backend", backend),
            ("created", now),
        ],
    )
    conn.execute("COMMIT")
    return True


def _read_info(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    import duckdb

    try:
        return dict(conn.execute("SELECT key, value FROM catalog_info").fetchall())
    except duckdb.CatalogException:
        return {}


# --- the indexer ---------------------------------------------------------------------------------
class _Indexer:
    def __init__(
        self, conn: duckdb.DuckDBPyConnection, repo: Repository, refs: _Refs, tuning: SyncTuning
    ) -> None:
        self.conn = conn
        self.repo = repo
        self.refs = refs
        self.tuning = tuning
        self.rows = Rows()
        self.warnings: list[str] = []
        self.tree_infos: OrderedDict[str, _TreeInfo] = OrderedDict()
        self.small_trees: OrderedDict[str, dict[str, Entry]] = OrderedDict()
        self.provenance_cache: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
        self.commit_trees: dict[str, str] = {}  # commit id -> tree id, for this run's commits
        self.known_trees: set[str] = set()
        self.event_paths: set[str] = set()
        self.event_ids: set[str] = set()

    def run(self) -> SyncResult:
        conn = self.conn
        branches, tags = self.refs.branches, self.refs.tags
        conn.execute("BEGIN TRANSACTION")
        try:
            old_heads = _column(conn, "SELECT commit_id FROM branches UNION SELECT commit_id FROM tags")
            known = _column(conn, "SELECT id FROM commits")
            heads = self.refs.heads
            new, frontier = self._walk(heads, known)
            ordered = _parents_first(new)
            seq = int(_scalar(conn, "SELECT coalesce(max(seq), 0) FROM commits"))
            self.known_trees = _column(conn, "SELECT tree_id FROM trees")
            self.event_paths = _column(conn, "SELECT path FROM events")
            self.event_ids = _column(conn, "SELECT id FROM events")
            trees_before = len(self.known_trees)
            events_before = len(self.event_ids)
            to_list = self._trees_to_list(ordered)
            with Prefetcher(self.repo, ordered, to_list, self.tuning.incremental_tree_min) as ahead:
                for commit, fetched in zip(ordered, ahead, strict=True):
                    seq += 1
                    self._index_commit(commit, seq, fetched)
                    if self.rows.count() >= _FLUSH_ROWS:
                        self._flush()
            self._flush()
            self._replace_refs(branches, tags)
            # A head that vanished (deleted branch or tag) may leave commits nothing reaches.
            gone = old_heads - heads - frontier - set(new)
            pruned = self._prune() if gone else 0
            derive_tables(conn)
            conn.execute(
                "INSERT OR REPLACE INTO catalog_info VALUES ('last_sync', ?)", [datetime.now(UTC).isoformat()]
            )
            total = int(_scalar(conn, "SELECT count(*) FROM commits"))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return SyncResult(
            commits=len(ordered),
            events=len(self.event_ids) - events_before,
            trees=len(self.known_trees) - trees_before,
            branches=len(branches),
            tags=len(tags),
            pruned=pruned,
            total_commits=total,
            warnings=tuple(self.warnings),
        )

    # --- finding new commits ---------------------------------------------------------------------
    def _walk(self, heads: Iterable[str], known: set[str]) -> tuple[dict[str, Commit], set[str]]:
        """Commits reachable from ``heads`` but not ``known``, and the known commits met on the way.

        The log lists children before parents (newest generation first), so a commit still
        ``pending`` when the log passes it is exactly one not reachable through known commits.
        """
        new: dict[str, Commit] = {}
        frontier: set[str] = set()
        for head in sorted(heads):
            if head in known or head in new:
                continue
            pending = {head}
            for commit in self.repo.log(head):
                if commit.id not in pending:
                    continue
                pending.discard(commit.id)
                new[commit.id] = commit
                pending |= self._unseen_parents(commit, known, new, frontier)
                if not pending:
                    break
            # A backend whose log order differs: fetch what is still missing one by one.
            while pending:
                commit = self.repo.get_commit(pending.pop())
                new[commit.id] = commit
                pending |= self._unseen_parents(commit, known, new, frontier)
        return new, frontier

    @staticmethod
    def _unseen_parents(
        commit: Commit, known: set[str], new: Mapping[str, Commit], frontier: set[str]
    ) -> set[str]:
        unseen = set()
        for parent in commit.parents:
            if parent in known:
                frontier.add(parent)
            elif parent not in new:
                unseen.add(parent)
        return unseen

    # --- one commit ------------------------------------------------------------------------------
    def _trees_to_list(self, ordered: list[Commit]) -> set[str]:
        """Commits whose tree is new: the first commit (parents first) of each unknown tree."""
        first: set[str] = set()
        trees = set(self.known_trees)
        for commit in ordered:
            tree_id = _tree_id(commit)
            if tree_id not in trees:
                trees.add(tree_id)
                first.add(commit.id)
        return first

    def _index_commit(self, commit: Commit, seq: int, fetched: Fetched) -> None:
        tree_id = _tree_id(commit)
        new_paths = self._tree(commit, tree_id, fetched.tree)
        prov_path = provenance_path(commit)
        prov_entry = self._entry_in(tree_id, prov_path)
        record = None
        if prov_entry:
            record = self._provenance(commit, prov_path, prov_entry[0], fetched.objects.get(prov_path))
        if new_paths is not None:
            self._events(commit, new_paths, fetched.objects)

        meta = dict(sorted(commit.metadata.items()))  # stores differ in key order; keep one
        git = record.get("git") if record and isinstance(record.get("git"), dict) else {}
        git_commit = (git or {}).get("commit") or meta.get("lakeline.git_commit") or None
        dirty_raw = (git or {}).get("dirty", meta.get("lakeline.git_dirty"))
        git_dirty = dirty_raw if isinstance(dirty_raw, bool) else bool_or_none(dirty_raw)
        author = (record or {}).get("user") or meta.get("lakeline.user") or commit.committer
        self.rows.add(
            "commits",
            (
                commit.id,
                seq,
                list(commit.parents),
                str(author),
                commit.committer,
                epoch(commit.creation_date),
                commit.message,
                meta,
                meta.get("lakeline.kind"),
                commit.generation,
                commit.meta_range_id,
                tree_id,
                str(git_commit) if git_commit else None,
                git_dirty,
                prov_entry[0] if prov_entry and record is not None else None,
            ),
        )
        if record is not None:
            provenance_rows(self.rows, commit.id, seq, record)

    # --- trees ---------------------------------------------------------------------------------
    # A tree is stored whole (a "base") or as its differences from a base (a "delta": changed
    # and added entries, and removal markers), like video keyframes: a 10-file commit on a
    # 1M-object branch costs one diff and ten rows, not a million. Small trees are always bases.

    def _tree(self, commit: Commit, tree_id: str, listed: dict[str, Entry] | None) -> Iterable[str] | None:
        """Index the commit's tree if it is new; the paths it may have added (None: known tree).
        ``listed`` is the listing fetched ahead for small trees; big ones are built here."""
        self.commit_trees[commit.id] = tree_id
        if tree_id in self.known_trees:
            return None
        self.known_trees.add(tree_id)
        if listed is not None:
            self._add_base(tree_id, listed)
            return listed.keys()
        parent = self._info(self._tree_id_of(commit.parents[0])) if commit.parents else None
        if parent is not None and parent.entries >= self.tuning.incremental_tree_min:
            added = self._add_delta(commit, tree_id, parent)
            if added is not None:
                return added
        tree = self._list_tree(commit.id)
        self._add_base(tree_id, tree)
        return tree.keys()

    def _add_base(self, tree_id: str, tree: dict[str, Entry]) -> None:
        for path, (checksum, size, mtime, ctype) in tree.items():
            self.rows.add("tree_entries", (tree_id, path, checksum, size, epoch(mtime), ctype, False))
        self.rows.add("trees", (tree_id, tree_id, len(tree), len(tree)))
        self._remember(tree_id, _TreeInfo(tree_id, len(tree), {}), tree)

    def _add_delta(self, commit: Commit, tree_id: str, parent: _TreeInfo) -> list[str] | None:
        """Store the tree as the parent's delta plus the diff; None if the diff is too large."""
        changes = []
        for change in self.repo.diff(commit.parents[0], commit.id, diff_type="two_dot"):
            changes.append(change)
            if len(changes) > self.tuning.incremental_tree_max_changes:
                return None
        delta = dict(parent.delta)
        entries = parent.entries
        for change in changes:
            if change.type == "removed":
                delta[change.path] = None
                entries -= 1
            else:
                delta[change.path] = object_entry(self.repo.stat_object(commit.id, change.path))
                entries += change.type == "added"
        for path, entry in delta.items():
            row = (
                (None, None, None, None) if entry is None else (entry[0], entry[1], epoch(entry[2]), entry[3])
            )
            self.rows.add("tree_entries", (tree_id, path, *row, entry is None))
        if len(delta) > max(self.tuning.keyframe_min, entries // 10):
            self._materialize(tree_id, parent.base)  # deltas stay small: this tree becomes a base
            self.rows.add("trees", (tree_id, tree_id, entries, entries))
            self._remember(tree_id, _TreeInfo(tree_id, entries, {}), None)
        else:
            self.rows.add("trees", (tree_id, parent.base, entries, len(delta)))
            self._remember(tree_id, _TreeInfo(parent.base, entries, delta), None)
        return [c.path for c in changes if c.type != "removed"]

    def _materialize(self, tree_id: str, base: str) -> None:
        """Turn the delta rows of ``tree_id`` into a whole tree: add the base's other entries."""
        self._flush()
        self.conn.execute(
            "INSERT INTO tree_entries "
            "SELECT ?, b.path, b.checksum, b.size_bytes, b.mtime, b.content_type, false "
            "FROM tree_entries b WHERE b.tree_id = ? AND b.path NOT IN "
            "(SELECT path FROM tree_entries WHERE tree_id = ?)",
            [tree_id, base, tree_id],
        )
        self.conn.execute("DELETE FROM tree_entries WHERE tree_id = ? AND removed", [tree_id])

    def _list_tree(self, commit_id: str) -> dict[str, Entry]:
        tree: dict[str, Entry] = {}
        for item in self.repo.list_objects(commit_id):
            if isinstance(item, CommonPrefix):
                continue
            tree[item.path] = object_entry(item)
        return tree

    def _remember(self, tree_id: str, info: _TreeInfo, whole: dict[str, Entry] | None) -> None:
        self.tree_infos[tree_id] = info
        self.tree_infos.move_to_end(tree_id)
        if len(self.tree_infos) > _TREE_INFO_CACHE:
            self.tree_infos.popitem(last=False)
        if whole is not None and len(whole) <= self.tuning.incremental_tree_min:
            self.small_trees[tree_id] = whole
            if len(self.small_trees) > _SMALL_TREE_CACHE:
                self.small_trees.popitem(last=False)

    def _tree_id_of(self, commit_id: str) -> str | None:
        """The tree id of an indexed commit (this run's, else the catalog's)."""
        tree_id = self.commit_trees.get(commit_id)
        if tree_id is None:
            row = _first(self.conn.execute("SELECT tree_id FROM commits WHERE id = ?", [commit_id]))
            tree_id = None if row is None else str(row[0])
        return tree_id

    def _info(self, tree_id: str | None) -> _TreeInfo | None:
        """How a known tree is stored: from this run's cache, else from the catalog."""
        if tree_id is None:
            return None
        info = self.tree_infos.get(tree_id)
        if info is not None:
            return info
        self._flush()
        row = _first(
            self.conn.execute("SELECT base_tree_id, entries FROM trees WHERE tree_id = ?", [tree_id])
        )
        if row is None:
            return None
        delta: dict[str, Entry | None] = {}
        if row[0] != tree_id:
            for path, checksum, size, mtime, ctype, removed in self.conn.execute(
                "SELECT path, checksum, size_bytes, epoch(mtime)::BIGINT, content_type, removed "
                "FROM tree_entries WHERE tree_id = ?",
                [tree_id],
            ).fetchall():
                delta[path] = None if removed else (checksum, size, mtime, ctype)
        info = _TreeInfo(row[0], int(row[1]), delta)
        self._remember(tree_id, info, None)
        return info

    def _entry_in(self, tree_id: str, path: str) -> Entry | None:
        """One object of a known tree (None: not there)."""
        small = self.small_trees.get(tree_id)
        if small is not None:
            return small.get(path)
        info = self._info(tree_id)
        if info is None:
            return None
        if path in info.delta:
            return info.delta[path]
        small = self.small_trees.get(info.base)
        if small is not None:
            return small.get(path)
        self._flush()
        row = _first(
            self.conn.execute(
                "SELECT checksum, size_bytes, epoch(mtime)::BIGINT, content_type FROM tree_entries "
                "WHERE tree_id = ? AND path = ? AND NOT removed",
                [info.base, path],
            )
        )
        return None if row is None else (row[0], row[1], row[2], row[3])

    # --- provenance ------------------------------------------------------------------------------
    def _provenance(
        self, commit: Commit, path: str, checksum: str, data: bytes | None
    ) -> dict[str, Any] | None:
        if checksum in self.provenance_cache:
            self.provenance_cache.move_to_end(checksum)
            return self.provenance_cache[checksum]
        record: dict[str, Any] | None = None
        try:
            if data is None:
                data = self.repo.get_object(commit.id, path)
            parsed = json.loads(data.decode("utf-8"))
            if isinstance(parsed, dict) and parsed.get("schema") == PROVENANCE_SCHEMA:
                record = parsed
            else:
                self.warnings.append(f"commit {commit.id[:12]}: {path} is not a {PROVENANCE_SCHEMA} record")
        except (ValueError, UnicodeDecodeError):
            self.warnings.append(f"commit {commit.id[:12]}: {path} is not valid JSON; indexed without it")
        except NotFoundError:
            record = None
        self.provenance_cache[checksum] = record
        if len(self.provenance_cache) > 256:
            self.provenance_cache.popitem(last=False)
        return record

    # --- events ----------------------------------------------------------------------------------
    def _events(self, commit: Commit, paths: Iterable[str], fetched: Mapping[str, bytes]) -> None:
        for path in paths:
            if not path.startswith(EVENTS_PREFIX) or path in self.event_paths:
                continue
            self.event_paths.add(path)
            data = fetched.get(path)
            try:
                raw = json.loads(
                    (data if data is not None else self.repo.get_object(commit.id, path)).decode("utf-8")
                )
            except (ValueError, UnicodeDecodeError):
                self.warnings.append(f"event object {path} is not valid JSON; skipped")
                continue
            row = event_row(raw, commit.id, path)
            if row is None:
                self.warnings.append(f"event object {path} is not a {EVENT_SCHEMA} record; skipped")
                continue
            if row[0] in self.event_ids:
                continue
            self.event_ids.add(row[0])
            self.rows.add("events", row)

    # --- writing ---------------------------------------------------------------------------------
    def _flush(self) -> None:
        for table, rows in self.rows.tables.items():
            if rows:
                insert_rows(self.conn, table, rows)
        self.rows = Rows()

    def _replace_refs(self, branches: Iterable[tuple[str, str]], tags: Iterable[tuple[str, str]]) -> None:
        self.conn.execute("DELETE FROM branches")
        self.conn.execute("DELETE FROM tags")
        if branches:
            insert_rows(self.conn, "branches", list(branches))
        tag_rows = []
        for name, commit_id in tags:
            parsed = parse_version_tag(name)
            model, version = (parsed[0], str(parsed[1])) if parsed else (None, None)
            tag_rows.append((name, commit_id, model, version))
        if tag_rows:
            insert_rows(self.conn, "tags", tag_rows)

    def _prune(self) -> int:
        """Forget commits no branch or tag reaches any more (and rows that hang off them).

        The walk is in Python over (id, parents): a recursive CTE would take one iteration per
        generation, i.e. thousands for a long history."""
        conn = self.conn
        parents: dict[str, list[str]] = dict(conn.execute("SELECT id, parents FROM commits").fetchall())
        reached: set[str] = set()
        stack = [c for c in self.refs.heads if c in parents]
        while stack:
            commit_id = stack.pop()
            if commit_id not in reached:
                reached.add(commit_id)
                stack.extend(p for p in parents.get(commit_id, ()) if p not in reached)
        gone = sorted(set(parents) - reached)
        if not gone:
            return 0
        conn.execute("CREATE TEMP TABLE _gone AS SELECT unnest(?::VARCHAR[]) AS id", [gone])
        for table in (*schema.PER_COMMIT_TABLES, "events"):
            conn.execute(f"DELETE FROM {table} WHERE commit_id IN (SELECT id FROM _gone)")
        conn.execute("DELETE FROM commits WHERE id IN (SELECT id FROM _gone)")
        # A tree stays while a commit uses it or a remaining tree is stored as a delta on it.
        conn.execute(
            "DELETE FROM trees WHERE tree_id NOT IN (SELECT tree_id FROM commits) "
            "AND tree_id NOT IN (SELECT base_tree_id FROM trees t JOIN commits c ON c.tree_id = t.tree_id)"
        )
        conn.execute("DELETE FROM tree_entries WHERE tree_id NOT IN (SELECT tree_id FROM trees)")
        conn.execute("DROP TABLE _gone")
        return len(gone)


@dataclass(frozen=True)
class _TreeInfo:
    """How a tree is stored: its base (itself for a base), object count, and delta to the base
    (path -> entry, None for a removal; empty for a base)."""

    base: str
    entries: int
    delta: Mapping[str, Entry | None]


def _tree_id(commit: Commit) -> str:
    return commit.meta_range_id or f"commit:{commit.id}"


def _parents_first(commits: Mapping[str, Commit]) -> list[Commit]:
    """Topological order over ``commits`` (parents before children), oldest generation first."""
    order: list[Commit] = []
    done: set[str] = set()
    for start in sorted(commits.values(), key=lambda c: (c.generation, c.creation_date, c.id)):
        stack: list[tuple[Commit, Iterator[str]]] = [(start, iter(start.parents))]
        if start.id in done:
            continue
        while stack:
            commit, parents = stack[-1]
            nxt = next((p for p in parents if p in commits and p not in done), None)
            if nxt is not None:
                stack.append((commits[nxt], iter(commits[nxt].parents)))
                continue
            stack.pop()
            if commit.id not in done:
                done.add(commit.id)
                order.append(commit)
    return order


def _column(conn: duckdb.DuckDBPyConnection, sql: str) -> set[Any]:
    return {row[0] for row in conn.execute(sql).fetchall()}


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = _first(conn.execute(sql))
    return None if row is None else row[0]


def _first(cursor: duckdb.DuckDBPyConnection) -> Any:
    """The first row, reading the result to its end (DuckDB 2 refuses new work on a connection
    whose last result was left half-read)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None
