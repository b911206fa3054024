"""Lineage (upstream) and impact (downstream) over ``lineage_edges``, as recursive CTEs.

Lineage of ``PATH@REF`` or ``MODEL@VERSION`` follows one commit's recorded pipeline back from
the target to its sources (data, params) through the stages; impact of ``PATH@REF`` follows
the object's content hash forward through every commit's edges, so it names every output,
commit and model version built from those bytes, on any branch. Both recursions are
set-based (``UNION``), so a malformed graph with a cycle still terminates.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from lakeline.catalog.schema import hash_key
from lakeline.errors import CatalogError, InvalidInputError, NotFoundError
from lakeline.names import MODEL_NAME, SEMVER, Version, check_object_path, version_tag
from lakeline.store.base import Repository

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """What a lineage/impact argument names: an object path in one commit."""

    text: str
    path: str
    ref: str
    commit_id: str
    model: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class LineageEdge:
    stage: str
    src_path: str
    src_hash: str | None
    src_kind: str | None
    dst_path: str
    dst_hash: str | None


@dataclass(frozen=True)
class StageInfo:
    name: str
    cmd: str | None


@dataclass(frozen=True)
class LineageGraph:
    """The upstream closure of one object in one commit."""

    target: Target
    hash: str | None
    git_commit: str | None
    git_dirty: bool | None
    edges: tuple[LineageEdge, ...]
    stages: tuple[StageInfo, ...]

    @property
    def sources(self) -> list[tuple[str, str | None, str | None]]:
        """(path, hash, kind) of every input nothing in the graph produces: data and params."""
        produced = {(e.dst_path, e.dst_hash) for e in self.edges}
        seen: dict[tuple[str, str | None], str | None] = {}
        for e in self.edges:
            key = (e.src_path, e.src_hash)
            if key not in produced:
                seen.setdefault(key, e.src_kind)
        return [(p, h, k) for (p, h), k in sorted(seen.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]

    def producers(self, path: str, hash_: str | None) -> dict[str, list[LineageEdge]]:
        """Stage -> its edges that produce (path, hash), i.e. that stage's inputs for it."""
        out: dict[str, list[LineageEdge]] = {}
        for e in self.edges:
            if e.dst_path == path and e.dst_hash == hash_:
                out.setdefault(e.stage, []).append(e)
        return out

    def to_dot(self) -> str:
        nodes, kinds, stage_ids, links = self._graph()
        lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
        for (path, hash_), node_id in nodes.items():
            shape = "note" if kinds[node_id] == "param" else "box"
            label = _dot_escape(f"{path}\n{_short(hash_)}")
            lines.append(f'  {node_id} [label="{label}", shape={shape}];')
        for stage, node_id in stage_ids.items():
            cmd = self._cmd(stage)
            label = _dot_escape(stage + (f"\n{cmd}" if cmd else ""))
            lines.append(f'  {node_id} [label="{label}", shape=ellipse, style=filled, fillcolor="#eeeeee"];')
        lines += [f"  {a} -> {b};" for a, b in links]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_mermaid(self) -> str:
        nodes, kinds, stage_ids, links = self._graph()
        lines = ["flowchart LR"]
        for (path, hash_), node_id in nodes.items():
            text = f"{_mermaid_escape(path)}<br/>{_short(hash_)}"
            lines.append(
                f'  {node_id}[/"{text}"/]' if kinds[node_id] == "param" else f'  {node_id}["{text}"]'
            )
        for stage, node_id in stage_ids.items():
            lines.append(f'  {node_id}(["{_mermaid_escape(stage)}"])')
        lines += [f"  {a} --> {b}" for a, b in links]
        return "\n".join(lines) + "\n"

    def _cmd(self, stage: str) -> str | None:
        return next((s.cmd for s in self.stages if s.name == stage), None)

    def _graph(
        self,
    ) -> tuple[
        dict[tuple[str, str | None], str], dict[str, str | None], dict[str, str], list[tuple[str, str]]
    ]:
        """Node ids per (path, hash), each node's kind, stage ids, and links in first-seen order."""
        nodes: dict[tuple[str, str | None], str] = {}
        kinds: dict[str, str | None] = {}
        stage_ids: dict[str, str] = {}
        links: list[tuple[str, str]] = []

        def node(path: str, hash_: str | None, kind: str | None) -> str:
            key = (path, hash_)
            if key not in nodes:
                nodes[key] = f"n{len(nodes)}"
            node_id = nodes[key]
            kinds[node_id] = kinds.get(node_id) or kind
            return node_id

        node(self.target.path, self.hash, None)
        for e in self.edges:
            if e.stage not in stage_ids:
                stage_ids[e.stage] = f"s{len(stage_ids)}"
            src = node(e.src_path, e.src_hash, e.src_kind)
            dst = node(e.dst_path, e.dst_hash, None)
            for link in ((src, stage_ids[e.stage]), (stage_ids[e.stage], dst)):
                if link not in links:
                    links.append(link)
        return nodes, kinds, stage_ids, links


@dataclass(frozen=True)
class AffectedOutput:
    path: str
    hash: str | None
    stage: str
    commits: int


@dataclass(frozen=True)
class AffectedCommit:
    commit_id: str
    time: datetime | None
    message: str
    kind: str | None
    branches: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class AffectedVersion:
    model: str
    version: str
    tag: str
    commit_id: str | None
    status: str


@dataclass(frozen=True)
class ImpactReport:
    """Everything built, transitively, from one object's content."""

    target: Target
    hash: str
    hash_source: str  # "lineage" (recorded DVC hash) or "md5" (computed from the bytes)
    containing_dirs: tuple[str, ...]  # hashes of recorded directories holding the object
    hashes: tuple[str, ...]  # every content hash reached downstream (including the start)
    outputs: tuple[AffectedOutput, ...]
    commits: tuple[AffectedCommit, ...]
    model_versions: tuple[AffectedVersion, ...]


# --- resolving targets ---------------------------------------------------------------------------
def resolve_target(
    conn: duckdb.DuckDBPyConnection, repo: Repository, text: str, *, default_ref: str, allow_model: bool
) -> Target:
    """``PATH@REF``, ``PATH`` (at ``default_ref``), or with ``allow_model`` ``MODEL@VERSION``,
    ``MODEL@ALIAS`` and ``MODEL`` (its latest active version)."""
    text = text.strip()
    if not text:
        raise InvalidInputError("empty target: expected PATH@REF or MODEL@VERSION, e.g. classifier@v1.2.0")
    left, sep, right = text.rpartition("@")
    if not sep:
        left, right = text, ""
    if allow_model and MODEL_NAME.fullmatch(left) and _known_model(conn, left):
        version = _model_version(conn, left, right, text)
        if version is not None:
            return _model_target(conn, repo, text, left, version)
    if sep and not right:
        raise InvalidInputError(f"invalid target {text!r}: nothing after '@'; expected PATH@REF")
    path = left
    check_object_path(path)
    ref = right or default_ref
    try:
        commit_id = _resolve_ref(repo, ref)
    except NotFoundError:
        if allow_model and MODEL_NAME.fullmatch(left) and SEMVER.fullmatch(right):
            raise NotFoundError(
                f"model version {text!r} not found: no model {left!r} has been promoted "
                "('lakeline models' lists the models)"
            ) from None
        raise
    return Target(text, path, ref, commit_id)


def _known_model(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = _first(
        conn.execute(
            "SELECT 1 FROM models WHERE name = ? UNION ALL SELECT 1 FROM tags WHERE model = ? LIMIT 1",
            [name, name],
        )
    )
    return row is not None


def _model_version(conn: duckdb.DuckDBPyConnection, model: str, spec: str, text: str) -> str | None:
    """The version ``spec`` names for ``model``: semver, an alias, or '' for the latest active."""
    if SEMVER.fullmatch(spec):
        return str(Version.parse(spec))
    if not spec:
        row = _first(
            conn.execute(
                "SELECT version FROM model_versions WHERE model = ? AND status = 'active' "
                "ORDER BY major DESC, minor DESC, patch DESC LIMIT 1",
                [model],
            )
        )
        if row is None:
            raise NotFoundError(f"model {model!r} has no active version: name one, e.g. {model}@v1.0.0")
        return str(row[0])
    row = _first(conn.execute("SELECT version FROM aliases WHERE model = ? AND alias = ?", [model, spec]))
    return None if row is None else str(row[0])


def _model_target(
    conn: duckdb.DuckDBPyConnection, repo: Repository, text: str, model: str, version: str
) -> Target:
    tag = version_tag(model, Version.parse(version))
    row = _first(
        conn.execute(
            "SELECT commit_id FROM tags WHERE name = ? "
            "UNION ALL SELECT commit_id FROM model_versions WHERE model = ? AND version = ? LIMIT 1",
            [tag, model, version],
        )
    )
    if row is None or row[0] is None:
        with contextlib.suppress(NotFoundError):
            repo.get_tag(tag)
            raise NotIndexedError(f"tag {tag!r} is not in the catalog yet: run 'lakeline catalog sync'")
        raise NotFoundError(
            f"model version {model}@{version} not found (no tag {tag!r}): "
            f"list versions with lakeline sql \"select version from model_versions where model='{model}'\""
        )
    commit_id = str(row[0])
    found = _first(
        conn.execute(
            "SELECT path FROM artifacts WHERE commit_id = ? AND name = ? "
            "UNION ALL SELECT path FROM models WHERE name = ? AND path IS NOT NULL LIMIT 1",
            [commit_id, model, model],
        )
    )
    if found is None or found[0] is None:
        raise NotFoundError(
            f"model {model!r} has no artifact path: declare it in dvc.yaml's artifacts: section "
            f"or ask for PATH@{tag}"
        )
    return Target(text, str(found[0]), tag, commit_id, model=model, version=version)


def _resolve_ref(repo: Repository, ref: str) -> str:
    try:
        return repo.get_commit(ref).id
    except NotFoundError:
        raise NotFoundError(f"ref {ref!r} not found: use a branch, tag or commit id") from None


class NotIndexedError(CatalogError):
    """The target's commit is newer than the catalog (a sync was skipped or raced a commit)."""


def fresh_read(
    open_catalog: Callable[[bool], AbstractContextManager[duckdb.DuckDBPyConnection]],
    sync: Callable[[], object],
    resolve: Callable[[duckdb.DuckDBPyConnection], Target],
    compute: Callable[[duckdb.DuckDBPyConnection, Target], T],
) -> T:
    """Resolve the target and compute on a quietly synced catalog; if the target's commit is not
    indexed yet, sync for real (waiting for the lock) and compute once more for the same commit
    (a branch that moved meanwhile does not send it chasing the new head)."""
    target: Target | None = None
    try:
        with open_catalog(True) as conn:
            target = resolve(conn)
            return compute(conn, target)
    except NotIndexedError:
        sync()
    with open_catalog(False) as conn:
        return compute(conn, target if target is not None else resolve(conn))


def _commit_row(conn: duckdb.DuckDBPyConnection, target: Target) -> tuple[int, str | None, bool | None]:
    row = _first(
        conn.execute("SELECT seq, git_commit, git_dirty FROM commits WHERE id = ?", [target.commit_id])
    )
    if row is None:
        raise NotIndexedError(
            f"commit {target.commit_id[:12]} ({target.ref}) is not in the catalog yet: "
            "run 'lakeline catalog sync'"
        )
    return int(row[0]), row[1], row[2]


# --- lineage -------------------------------------------------------------------------------------
_UPSTREAM_SQL = """
WITH RECURSIVE edges AS MATERIALIZED (
    SELECT stage, src_path, src_hash, src_kind, dst_path, dst_hash FROM lineage_edges WHERE seq = ?
),
up(path, hash) AS (
    SELECT ?::VARCHAR, ?::VARCHAR
    UNION
    SELECT e.src_path, e.src_hash
    FROM edges e JOIN up ON e.dst_path = up.path AND e.dst_hash IS NOT DISTINCT FROM up.hash
)
SELECT DISTINCT e.stage, e.src_path, e.src_hash, e.src_kind, e.dst_path, e.dst_hash
FROM edges e JOIN up ON e.dst_path = up.path AND e.dst_hash IS NOT DISTINCT FROM up.hash
ORDER BY e.stage, e.dst_path, e.src_kind, e.src_path
"""


def upstream(conn: duckdb.DuckDBPyConnection, repo: Repository, target: Target) -> LineageGraph:
    """The recorded pipeline that produced ``target``: stages, data and params, transitively."""
    seq, git_commit, git_dirty = _commit_row(conn, target)
    hash_ = _recorded_hash(conn, seq, target.path, target)
    if hash_ is None:
        hash_ = object_md5(repo, target)
    rows = conn.execute(_UPSTREAM_SQL, [seq, target.path, hash_]).fetchall()
    edges = tuple(LineageEdge(*row) for row in rows)
    names = sorted({e.stage for e in edges})
    stages: tuple[StageInfo, ...] = ()
    if names:
        found = dict(
            conn.execute(
                "SELECT stage, cmd FROM stages WHERE commit_id = ? AND list_contains(?, stage)",
                [target.commit_id, names],
            ).fetchall()
        )
        stages = tuple(StageInfo(n, found.get(n)) for n in names)
    return LineageGraph(target, hash_, git_commit, git_dirty, edges, stages)


def _recorded_hash(
    conn: duckdb.DuckDBPyConnection, seq: int, path: str, target: Target | None = None
) -> str | None:
    """The object's DVC hash as the commit's provenance recorded it (outputs first)."""
    if target is not None and target.model is not None:
        row = _first(
            conn.execute(
                "SELECT hash FROM artifacts a JOIN commits c ON c.id = a.commit_id "
                "WHERE c.seq = ? AND a.name = ? AND a.hash IS NOT NULL",
                [seq, target.model],
            )
        )
        if row is not None:
            return str(row[0])
    row = _first(
        conn.execute(
            "SELECT hash FROM (SELECT dst_hash AS hash, 0 AS pref FROM lineage_edges "
            "WHERE seq = ? AND dst_path = ? "
            "UNION ALL SELECT src_hash, 1 FROM lineage_edges WHERE seq = ? AND src_path = ? "
            "AND src_kind <> 'param') WHERE hash IS NOT NULL ORDER BY pref LIMIT 1",
            [seq, path, seq, path],
        )
    )
    return None if row is None else str(row[0])


def object_md5(repo: Repository, target: Target) -> str:
    """MD5 of the object's bytes at the target commit: DVC's hash of a file."""
    digest = hashlib.md5(usedforsecurity=False)
    try:
        stream = repo.open_object(target.commit_id, target.path)
    except NotFoundError:
        raise NotFoundError(
            f"no object {target.path!r} at {target.ref} (commit {target.commit_id[:12]}) and no lineage "
            "recorded for it there"
        ) from None
    with stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- impact --------------------------------------------------------------------------------------
# Recursion on the 64-bit keys (a plain integer hash join per level; params have no key, so
# they never start a path), returning every edge that leaves a reached hash.
_DOWNSTREAM_SQL = """
WITH RECURSIVE down(k) AS (
    SELECT unnest(?::BIGINT[])
    UNION
    SELECT e.dst_key FROM lineage_edges e JOIN down ON e.src_key = down.k WHERE e.dst_key IS NOT NULL
)
SELECT e.commit_id, e.stage, e.dst_path, e.dst_hash
FROM lineage_edges e SEMI JOIN down ON e.src_key = down.k
"""

_AFFECTED_COMMITS_SQL = """
WITH hit AS (SELECT unnest(?::VARCHAR[]) AS id),
refs AS (
    SELECT commit_id, list(name ORDER BY name) FILTER (WHERE kind = 'branch') AS branches,
        list(name ORDER BY name) FILTER (WHERE kind = 'tag') AS tags
    FROM (SELECT name, commit_id, 'branch' AS kind FROM branches UNION ALL
          SELECT name, commit_id, 'tag' FROM tags) SEMI JOIN hit ON hit.id = commit_id
    GROUP BY commit_id
)
SELECT c.id, c.time, c.message, c.kind, coalesce(r.branches, []), coalesce(r.tags, [])
FROM commits c SEMI JOIN hit ON hit.id = c.id LEFT JOIN refs r ON r.commit_id = c.id
ORDER BY c.time, c.generation, c.id
"""

_AFFECTED_VERSIONS_SQL = """
SELECT model, version, tag, commit_id, status FROM model_versions
WHERE commit_id IN (SELECT unnest(?::VARCHAR[]))
ORDER BY model, major, minor, patch
"""

_CONTAINING_DIRS_SQL = """
SELECT DISTINCT hash FROM (
    SELECT src_hash AS hash, src_path AS path FROM lineage_edges WHERE seq = ? AND src_kind = 'directory'
    UNION ALL
    SELECT dst_hash, dst_path FROM lineage_edges WHERE seq = ? AND dst_hash LIKE '%.dir'
) WHERE hash IS NOT NULL AND starts_with(?, path || '/')
ORDER BY hash
"""


def downstream(conn: duckdb.DuckDBPyConnection, repo: Repository, target: Target) -> ImpactReport:
    """Every output, commit and model version whose lineage contains the object's content."""
    seq, _, _ = _commit_row(conn, target)
    recorded = _recorded_hash(conn, seq, target.path)
    hash_, source = (recorded, "lineage") if recorded is not None else (object_md5(repo, target), "md5")
    dirs = tuple(r[0] for r in conn.execute(_CONTAINING_DIRS_SQL, [seq, seq, target.path]).fetchall())
    start = [hash_, *dirs]
    edges = conn.execute(_DOWNSTREAM_SQL, [[hash_key(h) for h in start]]).fetchall()
    per_output: dict[tuple[str, str | None, str], set[str]] = {}
    for commit_id, stage, dst_path, dst_hash in edges:
        per_output.setdefault((dst_path, dst_hash, stage), set()).add(commit_id)
    commit_ids = sorted({e[0] for e in edges})
    commits = conn.execute(_AFFECTED_COMMITS_SQL, [commit_ids]).fetchall() if commit_ids else []
    versions = conn.execute(_AFFECTED_VERSIONS_SQL, [commit_ids]).fetchall() if commit_ids else []
    hashes = sorted({*start, *(e[3] for e in edges if e[3] is not None)})
    outputs = sorted(per_output.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1] or ""))
    return ImpactReport(
        target=target,
        hash=hash_,
        hash_source=source,
        containing_dirs=dirs,
        hashes=tuple(hashes),
        outputs=tuple(AffectedOutput(p, h, stage, len(ids)) for (p, h, stage), ids in outputs),
        commits=tuple(AffectedCommit(r[0], r[1], r[2], r[3], tuple(r[4]), tuple(r[5])) for r in commits),
        model_versions=tuple(AffectedVersion(*r) for r in versions),
    )


def _rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql).fetchall()


# --- text helpers --------------------------------------------------------------------------------
def _short(hash_: str | None) -> str:
    if not hash_:
        return "(no hash)"
    return hash_ if len(hash_) <= 16 else hash_[:12]


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _mermaid_escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _first(cursor: duckdb.DuckDBPyConnection) -> Any:
    """The first row, reading the result to its end (DuckDB 2 refuses new work on a connection
    whose last result was left half-read)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None
