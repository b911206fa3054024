"""The derived tables: models, model_versions, aliases and deployments, rebuilt from events,
tags and provenance at the end of every sync (in its transaction), so they always agree with
what the store holds. Events count in (time, id) order; "latest" always means that order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeline.catalog import schema

if TYPE_CHECKING:
    import duckdb


def derive_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild models, model_versions, aliases and deployments from events, tags and provenance."""
    for table in schema.DERIVED_TABLES:
        conn.execute(f"DELETE FROM {table}")
    conn.execute(_MODEL_VERSIONS_SQL)
    conn.execute(_ALIASES_SQL)
    conn.execute(_DEPLOYMENTS_SQL)
    conn.execute(_MODELS_SQL)


_MODEL_VERSIONS_SQL = """
INSERT INTO model_versions
WITH promote AS (
    SELECT * FROM events WHERE type = 'promote' AND model IS NOT NULL AND version IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY model, version ORDER BY time DESC, id DESC) = 1
),
retire AS (
    SELECT model, version, max(time) AS time FROM events
    WHERE type = 'retire' AND model IS NOT NULL AND version IS NOT NULL GROUP BY ALL
),
tagged AS (SELECT model, version, name AS tag, commit_id FROM tags WHERE model IS NOT NULL),
versions AS (SELECT model, version FROM tagged UNION SELECT model, version FROM promote),
joined AS (
    SELECT v.model, v.version,
        regexp_extract(v.version, '^v?(\\d+)\\.(\\d+)\\.(\\d+)$', ['major', 'minor', 'patch']) AS sv,
        coalesce(t.tag, p.details->>'tag', v.model || '-' || v.version) AS tag,
        coalesce(t.commit_id, p.details->>'commit_id') AS commit_id,
        p.time AS promoted_at, p."user" AS promoted_by, p.details->>'bump' AS bump,
        p.details->>'source_branch' AS source_branch, p.details->>'previous_version' AS previous_version,
        p.reason, r.time AS retired_at, p.details AS details
    FROM versions v
    LEFT JOIN tagged t USING (model, version)
    LEFT JOIN promote p USING (model, version)
    LEFT JOIN retire r USING (model, version)
)
SELECT j.model, j.version,
    TRY_CAST(j.sv.major AS INTEGER), TRY_CAST(j.sv.minor AS INTEGER), TRY_CAST(j.sv.patch AS INTEGER),
    j.tag, j.commit_id,
    CASE WHEN j.retired_at IS NOT NULL AND (j.promoted_at IS NULL OR j.retired_at >= j.promoted_at)
         THEN 'retired' ELSE 'active' END,
    j.promoted_at, j.promoted_by, j.bump, j.source_branch, j.previous_version, j.reason, j.retired_at,
    coalesce(
        (SELECT map_from_entries(list({'key': m.key, 'value': m.value} ORDER BY m.key)) FROM metrics m
         WHERE m.commit_id = j.commit_id AND m.value IS NOT NULL),
        (SELECT map_from_entries(list({'key': k, 'value': TRY_CAST(j.details->'metrics'->>k AS DOUBLE)}
                                      ORDER BY k))
         FROM (SELECT unnest(json_keys(j.details->'metrics')) AS k)
         WHERE TRY_CAST(j.details->'metrics'->>k AS DOUBLE) IS NOT NULL)
    ),
    coalesce(
        (SELECT map_from_entries(list({'key': p.key, 'value': p.value} ORDER BY p.key)) FROM params p
         WHERE p.commit_id = j.commit_id),
        (SELECT map_from_entries(list({'key': k, 'value': j.details->'params'->k} ORDER BY k))
         FROM (SELECT unnest(json_keys(j.details->'params')) AS k))
    )
FROM joined j
ORDER BY j.model, j.sv.major::INTEGER, j.sv.minor::INTEGER, j.sv.patch::INTEGER
"""

_ALIASES_SQL = """
INSERT INTO aliases
SELECT model, details->>'alias', version, time, "user", id FROM events
WHERE type = 'alias' AND model IS NOT NULL AND details->>'alias' IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY model, details->>'alias' ORDER BY time DESC, id DESC) = 1
    AND version IS NOT NULL
ORDER BY model, details->>'alias'
"""

_DEPLOYMENTS_SQL = """
INSERT INTO deployments
WITH latest AS (
    SELECT * FROM events
    WHERE type IN ('deploy', 'rollback') AND model IS NOT NULL AND details->>'env' IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY model, details->>'env' ORDER BY time DESC, id DESC) = 1
),
split AS (
    SELECT l.*, unnest(from_json(coalesce(l.details->'state', '[]'),
        '[{"version": "VARCHAR", "traffic": "DOUBLE", "shadow": "BOOLEAN"}]')) AS s
    FROM latest l
)
SELECT model, details->>'env', s.version, s.traffic, coalesce(s.shadow, false),
    CASE WHEN type = 'rollback' THEN 'rollback' ELSE details->>'mode' END, time, id
FROM split
WHERE s.version IS NOT NULL
ORDER BY model, details->>'env', s.traffic DESC, s.version
"""

_MODELS_SQL = """
INSERT INTO models
WITH declared AS (
    SELECT a.*, c.time AS declared_at FROM artifacts a JOIN commits c ON c.id = a.commit_id
    QUALIFY row_number() OVER (PARTITION BY a.name ORDER BY c.time DESC, c.generation DESC, c.id DESC) = 1
),
names AS (
    SELECT name FROM declared
    UNION SELECT model FROM events WHERE model IS NOT NULL AND model <> ''
    UNION SELECT model FROM model_versions
),
counts AS (
    SELECT model, count(*) AS n,
        arg_max(version, (major, minor, patch)) FILTER (WHERE status = 'active') AS latest
    FROM model_versions GROUP BY model
)
SELECT n.name, d.path, d.type, d.description, d.labels, d.meta, d.signature, d.commit_id, d.declared_at,
    c.latest, coalesce(c.n, 0)
FROM names n LEFT JOIN declared d ON d.name = n.name LEFT JOIN counts c ON c.model = n.name
ORDER BY n.name
"""
