"""The catalog's schema: every table and view, its columns and what they mean, defined once.

`docs/catalog.md` is generated from `TABLES` (`render_markdown`), and a test keeps the two in
step. Sync (`lakeline.catalog.sync`) fills the tables; nothing else creates catalog objects.
Bump `SCHEMA_VERSION` on any change: an older catalog is then rebuilt from the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

SCHEMA_VERSION = 3


def hash_key(content_hash: str | None) -> int | None:
    """The 64-bit join key of a content hash (first 8 bytes of its BLAKE2b, signed); stable
    across DuckDB versions, unlike DuckDB's own ``hash()``."""
    if content_hash is None:
        return None
    digest = hashlib.blake2b(content_hash.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Table:
    """A catalog table (or a view, when ``view_sql`` is set)."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    view_sql: str = ""
    derived: bool = False  # rebuilt from events/provenance on every sync

    @property
    def is_view(self) -> bool:
        return bool(self.view_sql)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def create_sql(self) -> str:
        if self.is_view:
            return f"CREATE VIEW {self.name} AS {self.view_sql}"
        cols = ",\n  ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE {self.name} (\n  {cols}\n)"


def _t(name: str, doc: str, *cols: tuple[str, str, str], view_sql: str = "", derived: bool = False) -> Table:
    return Table(name, doc, tuple(Column(*c) for c in cols), view_sql=view_sql, derived=derived)


INFO = _t(
    "catalog_info",
    "Key/value facts about the catalog itself: `schema_version`, `repository`, `backend`, "
    "`last_sync` (ISO time), `created`.",
    ("key", "VARCHAR PRIMARY KEY", "fact name"),
    ("value", "VARCHAR", "its value"),
)

COMMITS = _t(
    "commits",
    "Every commit reachable from a branch or tag, indexed once (commits are immutable).",
    ("id", "VARCHAR PRIMARY KEY", "commit id (64 hex)"),
    ("seq", "BIGINT", "order of indexing (parents always get a lower seq than children)"),
    ("parents", "VARCHAR[]", "parent commit ids (merge commits: [destination head, source])"),
    ("author", "VARCHAR", "who made it: provenance `user` / metadata `lakeline.user`, else the committer"),
    ("committer", "VARCHAR", "the store's committer"),
    ("time", "TIMESTAMPTZ", "creation time"),
    ("message", "VARCHAR", "commit message"),
    ("metadata", "MAP(VARCHAR, VARCHAR)", "commit metadata as stored (values are strings)"),
    ("kind", "VARCHAR", "`lakeline.kind` metadata: `pipeline`, `event`, ... (NULL: not made by lakeline)"),
    ("generation", "BIGINT", "distance from the root commit as the store reports it"),
    ("meta_range_id", "VARCHAR", "the store's metarange id"),
    ("tree_id", "VARCHAR", "key into `trees` (the metarange id, or `commit:<id>` without one)"),
    ("git_commit", "VARCHAR", "git sha of the code (provenance or `lakeline.git_commit`)"),
    ("git_dirty", "BOOLEAN", "the git work tree had uncommitted changes"),
    ("provenance_checksum", "VARCHAR", "checksum of `_lakeline/provenance.json` in this commit (NULL: none)"),
)

BRANCHES = _t(
    "branches",
    "Branches as of the last sync.",
    ("name", "VARCHAR PRIMARY KEY", "branch name"),
    ("commit_id", "VARCHAR", "head commit"),
)

TAGS = _t(
    "tags",
    "Tags as of the last sync; model-version tags (`classifier-v1.2.0`) are split into model and version.",
    ("name", "VARCHAR PRIMARY KEY", "tag name"),
    ("commit_id", "VARCHAR", "tagged commit"),
    ("model", "VARCHAR", "model name if this is a version tag, else NULL"),
    ("version", "VARCHAR", "`vX.Y.Z` if this is a version tag, else NULL"),
)

TREES = _t(
    "trees",
    "Each distinct tree (commits with the same metarange share one), stored whole (a base) or as "
    "its differences from a base (a delta), so a small change to a huge tree stores a few rows.",
    ("tree_id", "VARCHAR", "see `commits.tree_id`"),
    ("base_tree_id", "VARCHAR", "the base it is a delta of (itself for a base)"),
    ("entries", "BIGINT", "number of objects in the tree"),
    ("stored", "BIGINT", "rows it has in `tree_entries`"),
)

TREE_ENTRIES = _t(
    "tree_entries",
    "The rows of each tree: every object of a base; for a delta, the objects that differ from its "
    "base and removal markers. Query `objects` instead.",
    ("tree_id", "VARCHAR", "see `trees`"),
    ("path", "VARCHAR", "object path"),
    ("checksum", "VARCHAR", "the store's checksum of the bytes"),
    ("size_bytes", "BIGINT", "size"),
    ("mtime", "TIMESTAMPTZ", "when the object was written"),
    ("content_type", "VARCHAR", "content type"),
    ("removed", "BOOLEAN", "a delta's marker: the path is in the base but not in this tree"),
)

OBJECTS = _t(
    "objects",
    "Every object of every indexed commit (a view: a commit's tree, with a delta applied to its base).",
    ("commit_id", "VARCHAR", "commit"),
    ("path", "VARCHAR", "object path (lakeline's own objects live under `_lakeline/`)"),
    ("checksum", "VARCHAR", "the store's checksum"),
    ("size_bytes", "BIGINT", "size"),
    ("mtime", "TIMESTAMPTZ", "when the object was written"),
    ("content_type", "VARCHAR", "content type"),
    view_sql="SELECT c.id AS commit_id, e.path, e.checksum, e.size_bytes, e.mtime, e.content_type "
    "FROM commits c JOIN tree_entries e ON e.tree_id = c.tree_id WHERE NOT e.removed "
    "UNION ALL "
    "SELECT c.id, b.path, b.checksum, b.size_bytes, b.mtime, b.content_type "
    "FROM commits c JOIN trees t ON t.tree_id = c.tree_id AND t.base_tree_id <> t.tree_id "
    "JOIN tree_entries b ON b.tree_id = t.base_tree_id "
    "WHERE NOT EXISTS (SELECT 1 FROM tree_entries d WHERE d.tree_id = t.tree_id AND d.path = b.path)",
)

PARAMS = _t(
    "params",
    "Parameters recorded in a commit's provenance (flattened with `.`; other files prefixed `file.yaml:`).",
    ("commit_id", "VARCHAR", "commit"),
    ("key", "VARCHAR", "parameter name, e.g. `train.lr`"),
    ("value", "JSON", "the value as JSON (keeps strings, lists, booleans)"),
    ("value_double", "DOUBLE", "the value when it is a number (booleans excluded), else NULL"),
)

METRICS = _t(
    "metrics",
    "Metrics recorded in a commit's provenance (nested metrics flattened with `.`).",
    ("commit_id", "VARCHAR", "commit"),
    ("key", "VARCHAR", "metric name, e.g. `accuracy`"),
    ("value", "DOUBLE", "numeric value (NULL when the metric is not a number)"),
    ("value_json", "JSON", "the value as recorded"),
)

STAGES = _t(
    "stages",
    "Pipeline stages recorded in a commit's provenance (from dvc.lock).",
    ("commit_id", "VARCHAR", "commit"),
    ("stage", "VARCHAR", "stage name"),
    ("cmd", "VARCHAR", "its command"),
    ("params", "JSON", "the params it depends on, per params file"),
)

LINEAGE_EDGES = _t(
    "lineage_edges",
    "One edge per (stage, dependency, output) of a commit's provenance: src -> stage -> dst.",
    ("commit_id", "VARCHAR", "commit whose provenance holds the edge"),
    ("seq", "BIGINT", "`commits.seq` of that commit (keeps a commit's edges together on disk)"),
    ("stage", "VARCHAR", "stage name"),
    ("src_path", "VARCHAR", "dependency path (params: `params.yaml:train.lr`)"),
    ("src_hash", "VARCHAR", "DVC hash of the dependency (params: canonical JSON of the value)"),
    ("src_kind", "VARCHAR", "`file`, `directory` or `param`"),
    ("dst_path", "VARCHAR", "output path"),
    ("dst_hash", "VARCHAR", "DVC hash of the output"),
    (
        "src_key",
        "BIGINT",
        "`hash_key(src_hash)`, a 64-bit key for impact's recursive joins (NULL for params)",
    ),
    ("dst_key", "BIGINT", "`hash_key(dst_hash)`"),
)

ARTIFACTS = _t(
    "artifacts",
    "Artifacts (models, data sets) declared in a commit's provenance (dvc.yaml `artifacts:`).",
    ("commit_id", "VARCHAR", "commit"),
    ("name", "VARCHAR", "artifact name"),
    ("path", "VARCHAR", "its path"),
    ("type", "VARCHAR", "`model`, `dataset`, ..."),
    ("description", "VARCHAR", "`desc`"),
    ("labels", "VARCHAR[]", "labels"),
    ("meta", "JSON", "`meta`"),
    ("hash", "VARCHAR", "DVC hash of the artifact path at this commit"),
    ("signature", "JSON", "inlined model signature (NULL when none)"),
)

EVENTS = _t(
    "events",
    "Registry events (docs/formats.md), one row per event object on the registry branch.",
    ("id", "VARCHAR PRIMARY KEY", "event id (32 hex)"),
    ("type", "VARCHAR", "`promote`, `approve`, `alias`, `deploy`, `rollback`, `retire`"),
    ("time", "TIMESTAMPTZ", "when it happened"),
    ("user", "VARCHAR", "who did it"),
    ("model", "VARCHAR", "model name"),
    ("version", "VARCHAR", "`vX.Y.Z` (NULL for approvals)"),
    ("reason", "VARCHAR", "the reason given"),
    ("details", "JSON", "type-specific details"),
    ("commit_id", "VARCHAR", "the event's commit"),
    ("path", "VARCHAR", "the event object's path"),
)

MODELS = _t(
    "models",
    "Models: artifacts declared in provenance (latest declaration per name) plus models seen in "
    "events or version tags.",
    ("name", "VARCHAR PRIMARY KEY", "model name"),
    ("path", "VARCHAR", "artifact path (latest declaration; NULL if never declared)"),
    ("type", "VARCHAR", "artifact type"),
    ("description", "VARCHAR", "artifact `desc`"),
    ("labels", "VARCHAR[]", "labels"),
    ("meta", "JSON", "artifact `meta`"),
    ("signature", "JSON", "latest declared signature"),
    ("declared_commit", "VARCHAR", "commit of the latest declaration"),
    ("declared_at", "TIMESTAMPTZ", "time of that commit"),
    ("latest_version", "VARCHAR", "highest active version (NULL when none)"),
    ("versions", "BIGINT", "number of versions (active and retired)"),
    derived=True,
)

MODEL_VERSIONS = _t(
    "model_versions",
    "One row per model version: every version tag, enriched by its promote and retire events.",
    ("model", "VARCHAR", "model name"),
    ("version", "VARCHAR", "`vX.Y.Z`"),
    ("major", "INTEGER", "semver major"),
    ("minor", "INTEGER", "semver minor"),
    ("patch", "INTEGER", "semver patch"),
    ("tag", "VARCHAR", "stored tag name (`classifier-v1.2.0`)"),
    ("commit_id", "VARCHAR", "commit the tag points at (the promote event's commit if the tag is gone)"),
    ("status", "VARCHAR", "`active` or `retired`"),
    ("promoted_at", "TIMESTAMPTZ", "time of the promote event"),
    ("promoted_by", "VARCHAR", "user of the promote event"),
    ("bump", "VARCHAR", "`major`/`minor`/`patch`/`initial`/`forced`"),
    ("source_branch", "VARCHAR", "branch that was promoted"),
    ("previous_version", "VARCHAR", "version before this one"),
    ("reason", "VARCHAR", "promotion reason"),
    ("retired_at", "TIMESTAMPTZ", "time of the retire event"),
    ("metrics", "MAP(VARCHAR, DOUBLE)", "numeric metrics of the commit (provenance, else the event)"),
    ("params", "MAP(VARCHAR, JSON)", "params of the commit (provenance, else the event)"),
    derived=True,
)

ALIASES = _t(
    "aliases",
    "Current alias per model (latest `alias` event per model+alias).",
    ("model", "VARCHAR", "model name"),
    ("alias", "VARCHAR", "alias (`production`, `staging`, ...)"),
    ("version", "VARCHAR", "version it names"),
    ("set_at", "TIMESTAMPTZ", "when it was set"),
    ("set_by", "VARCHAR", "who set it"),
    ("event_id", "VARCHAR", "the alias event"),
    derived=True,
)

ALIAS_HISTORY = _t(
    "alias_history",
    "Every alias move, oldest first (a view over `events`).",
    ("model", "VARCHAR", "model name"),
    ("alias", "VARCHAR", "alias"),
    ("version", "VARCHAR", "version it was moved to"),
    ("previous_version", "VARCHAR", "version it named before (NULL if new)"),
    ("time", "TIMESTAMPTZ", "when"),
    ("user", "VARCHAR", "who"),
    ("reason", "VARCHAR", "why"),
    ("event_id", "VARCHAR", "the event"),
    view_sql="SELECT model, details->>'alias' AS alias, version, details->>'previous_version' "
    "AS previous_version, time, \"user\", reason, id AS event_id FROM events WHERE type = 'alias' "
    "ORDER BY time, id",
)

DEPLOYMENTS = _t(
    "deployments",
    "Current traffic split per model+env, from the latest `deploy`/`rollback` event's `state` "
    "(one row per version in the split).",
    ("model", "VARCHAR", "model name"),
    ("env", "VARCHAR", "environment"),
    ("version", "VARCHAR", "version receiving traffic"),
    ("traffic", "DOUBLE", "percentage of traffic (0-100)"),
    ("shadow", "BOOLEAN", "mirrored traffic only"),
    ("mode", "VARCHAR", "`full`/`canary`/`blue-green`/`shadow` of the deploy (`rollback` for rollbacks)"),
    ("updated_at", "TIMESTAMPTZ", "time of that event"),
    ("event_id", "VARCHAR", "that event"),
    derived=True,
)

TABLES: tuple[Table, ...] = (
    INFO,
    COMMITS,
    BRANCHES,
    TAGS,
    TREES,
    TREE_ENTRIES,
    OBJECTS,
    PARAMS,
    METRICS,
    STAGES,
    LINEAGE_EDGES,
    ARTIFACTS,
    EVENTS,
    MODELS,
    MODEL_VERSIONS,
    ALIASES,
    ALIAS_HISTORY,
    DEPLOYMENTS,
)
TABLES_BY_NAME = {t.name: t for t in TABLES}
# Rows keyed by commit: deleted together when a commit becomes unreachable.
PER_COMMIT_TABLES = ("params", "metrics", "stages", "lineage_edges", "artifacts")
DERIVED_TABLES = tuple(t.name for t in TABLES if t.derived)


def create_statements() -> list[str]:
    """DDL for an empty catalog: tables first, then the views over them."""
    tables = [t.create_sql() for t in TABLES if not t.is_view]
    views = [t.create_sql() for t in TABLES if t.is_view]
    return [*tables, *views]


def render_markdown() -> str:
    """The schema reference section of docs/catalog.md."""
    out: list[str] = [f"Schema version {SCHEMA_VERSION}.", ""]
    for table in TABLES:
        kind = "view" if table.is_view else ("derived table" if table.derived else "table")
        out += [
            f"### `{table.name}` ({kind})",
            "",
            table.doc,
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        for col in table.columns:
            ctype = col.type.replace(" PRIMARY KEY", "")
            out.append(f"| `{col.name}` | `{ctype}` | {col.doc} |")
        out.append("")
    return "\n".join(out)


SCHEMA_START = "<!-- schema:start (generated from lakeline/catalog/schema.py) -->"
SCHEMA_END = "<!-- schema:end -->"


def update_docs(path: str) -> bool:
    """Rewrite the generated schema section of ``path`` (docs/catalog.md); True if it changed."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text(encoding="utf-8")
    head, start, rest = text.partition(SCHEMA_START)
    _, end, tail = rest.partition(SCHEMA_END)
    if not start or not end:
        raise SystemExit(f"{path} lacks the {SCHEMA_START} ... {SCHEMA_END} markers")
    new = f"{head}{SCHEMA_START}\n\n{render_markdown()}\n{SCHEMA_END}{tail}"
    if new != text:
        doc.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    import sys

    print("updated" if update_docs(sys.argv[1] if len(sys.argv) > 1 else "docs/catalog.md") else "up to date")
