"""Read-only registry views: models, versions, one version in full, comparisons.

Answers come from the event log (the source of truth) and the provenance records in the
store, so they are exact even before the catalog has synced. Every function returns plain
rows or records for `lakeline.cli.output` to render.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakeline.errors import InvalidInputError, NotFoundError
from lakeline.names import (
    EXPERIMENT_PREFIX,
    RESERVED_PREFIX,
    check_model_name,
    parse_model_ref,
    parse_version_tag,
)
from lakeline.registry.bump import artifact, upstream
from lakeline.registry.context import RegistryContext
from lakeline.registry.deploy import DEFAULT_ENV
from lakeline.registry.state import ModelVersion, RegistryState, plain_number


@dataclass(frozen=True)
class Side:
    """One side of a comparison: what the user named, the ref it reads, and its record."""

    label: str
    ref: str
    record: Mapping[str, Any]


def models(ctx: RegistryContext) -> list[dict[str, Any]]:
    state = ctx.state()
    declared = _declared(ctx)
    rows = []
    for name in sorted(set(state.models()) | set(declared)):
        versions = state.model_versions(name)
        latest = versions[-1] if versions else None
        decl = declared.get(name, {})
        rows.append(
            {
                "model": name,
                "latest": str(latest.version) if latest else None,
                "versions": len(versions),
                "active": sum(1 for v in versions if v.status == "active"),
                "aliases": {a: str(v) for (m, a), v in sorted(state.aliases.items()) if m == name},
                "live": _live_summary(state, name),
                "path": decl.get("path"),
                "desc": decl.get("desc"),
            }
        )
    return rows


def versions(ctx: RegistryContext, model: str) -> list[dict[str, Any]]:
    check_model_name(model)
    state = ctx.state()
    if model not in state.versions:
        raise NotFoundError(f"{model} has no versions yet: promote an experiment (lakeline promote exp-NAME)")
    return [_version_row(state, v) for v in reversed(state.model_versions(model))]


def show(ctx: RegistryContext, target: str) -> dict[str, Any]:
    model, version = parse_model_ref(target)
    state = ctx.state()
    if version is None:
        latest = state.latest(model)
        if latest is None:
            raise NotFoundError(f"{model} has no versions yet: promote an experiment first")
        version = latest.version
    found = state.version(model, version)
    record = ctx.provenance(found.commit_id) or {}
    entry = artifact(record, model)
    git = record.get("git") or {}
    return {
        "model": model,
        "version": str(version),
        "status": found.status,
        "tag": found.tag,
        "commit_id": found.commit_id,
        "promoted_by": found.promoted_by,
        "promoted_at": found.promoted_at,
        "reason": found.reason,
        "bump": found.bump,
        "previous_version": found.previous_version,
        "source": f"{found.source_branch}@{(found.source_commit or '')[:12]}",
        "retired": f"by {found.retired_by} at {found.retired_at}" if found.status == "retired" else None,
        "path": entry.get("path"),
        "hash": entry.get("hash"),
        "signature": entry.get("signature"),
        "git_commit": git.get("commit"),
        "git_dirty": git.get("dirty"),
        "trained_by": record.get("user"),
        "trained_at": record.get("time"),
        "metrics": dict(record.get("metrics") or found.metrics),
        "params": dict(record.get("params") or found.params),
        "lineage_roots": lineage_roots(record, model),
        "aliases": state.aliases_of(model, version),
        "deployments": {
            env: ("shadow" if slot.shadow else f"{plain_number(slot.traffic)}%")
            for env, slot in state.placements(model, version)
        },
    }


def lineage_roots(record: Mapping[str, Any], model: str) -> list[str]:
    """The sources the model was built from that no stage produced: raw data, code, params."""
    produced = {str(e.get("dst_path")) for e in record.get("lineage") or [] if isinstance(e, Mapping)}
    roots = []
    for kind, path, digest in sorted(upstream(record, model)):
        if path in produced:
            continue
        roots.append(f"{path}={digest}" if kind == "param" else f"{path}@{digest[:12]}")
    return roots


def compare(ctx: RegistryContext, left: str, right: str) -> list[dict[str, Any]]:
    """Params that differ, every metric, signature and data (store diff) of two versions or refs."""
    a, b = _side(ctx, left), _side(ctx, right)
    rows: list[dict[str, Any]] = []
    params = _mapping_rows("param", a.record.get("params") or {}, b.record.get("params") or {}, deltas=False)
    rows += [r for r in params if r["change"]]  # every metric is shown; only params that differ
    rows += _mapping_rows("metric", a.record.get("metrics") or {}, b.record.get("metrics") or {}, deltas=True)
    rows += _signature_rows(a.record, b.record)
    for change in ctx.repo.diff(a.ref, b.ref, diff_type="two_dot"):
        if not change.path.startswith(RESERVED_PREFIX):
            rows.append({"kind": "data", "key": change.path, "a": None, "b": None, "change": change.type})
    # Columns named after what the user compared (suffixed when both sides have the same name).
    la, lb = (left, right) if left != right else (f"{left} (a)", f"{right} (b)")
    return [{"kind": r["kind"], "key": r["key"], la: r["a"], lb: r["b"], "change": r["change"]} for r in rows]


def exp_compare(ctx: RegistryContext, *, env: str = DEFAULT_ENV) -> list[dict[str, Any]]:
    """Every experiment's head beside main's live version (or main's head): one row each."""
    state = ctx.state()
    sides: list[tuple[str, str, str, Mapping[str, Any]]] = []  # (experiment, commit, version, record)
    main_head = ctx.repo.get_branch(ctx.main).commit_id
    base_commit, base_version = main_head, ""
    for model in state.models():
        slot = state.live(model, env)
        if slot is not None:
            found = state.version(model, slot.version)
            base_commit, base_version = found.commit_id, f"{model}@{slot.version} ({env})"
            break
    else:
        tagged = [parse_version_tag(t.name) for t in ctx.repo.list_tags() if t.commit_id == main_head]
        base_version = ", ".join(f"{m}@{v}" for m, v in (t for t in tagged if t is not None))
    sides.append((ctx.main, base_commit, base_version, ctx.provenance(base_commit) or {}))
    for branch in ctx.repo.list_branches(prefix=EXPERIMENT_PREFIX):
        sides.append((branch.name, branch.commit_id, "", ctx.provenance(branch.commit_id) or {}))

    metric_keys = sorted({k for *_, rec in sides for k in (rec.get("metrics") or {})})
    param_values: dict[str, set[str]] = {}
    for *_, rec in sides:
        for key, value in (rec.get("params") or {}).items():
            param_values.setdefault(key, set()).add(json.dumps(value, sort_keys=True))
    all_keys = {k for *_, rec in sides for k in (rec.get("params") or {})}
    # Only params that differ somewhere are worth a column (or that some side lacks).
    param_keys = sorted(
        k
        for k in all_keys
        if len(param_values.get(k, set())) > 1 or any(k not in (r.get("params") or {}) for *_, r in sides)
    )
    rows = []
    for name, commit, version, rec in sides:
        row: dict[str, Any] = {"experiment": name, "commit": commit[:12], "version": version or None}
        metrics = rec.get("metrics") or {}
        params = rec.get("params") or {}
        for key in metric_keys:
            row[key] = metrics.get(key)
        for key in param_keys:
            row[key] = params.get(key)
        row["time"] = rec.get("time")
        rows.append(row)
    return rows


# --- helpers -------------------------------------------------------------------------------------
def _declared(ctx: RegistryContext) -> dict[str, Mapping[str, Any]]:
    """Models declared (dvc.yaml artifacts) in the provenance at main's head."""
    record = ctx.provenance(ctx.main) or {}
    artifacts = record.get("artifacts") or {}
    return {
        str(k): v
        for k, v in artifacts.items()
        if isinstance(v, Mapping) and v.get("type", "model") == "model"
    }


def _live_summary(state: RegistryState, model: str) -> dict[str, str]:
    summary = {}
    for env in state.environments(model):
        served = [f"{s.version} {plain_number(s.traffic)}%" for s in state.split(model, env) if s.serving]
        if served:
            summary[env] = ", ".join(served)
    return summary


def _version_row(state: RegistryState, found: ModelVersion) -> dict[str, Any]:
    return {
        "version": str(found.version),
        "status": found.status,
        "bump": found.bump,
        "promoted_at": found.promoted_at,
        "promoted_by": found.promoted_by,
        "source": found.source_branch,
        "commit": found.commit_id[:12],
        "aliases": ", ".join(state.aliases_of(found.model, found.version)) or None,
        "deployed": ", ".join(
            f"{env} {'shadow' if s.shadow else f'{plain_number(s.traffic)}%'}"
            for env, s in state.placements(found.model, found.version)
        )
        or None,
        "metrics": dict(found.metrics),
        "reason": found.reason,
    }


def _side(ctx: RegistryContext, text: str) -> Side:
    """``M@vX.Y.Z`` reads the version's tag; anything else is a ref (branch, tag, commit, exp name)."""
    if "@" in text and not text.endswith("@"):
        model, version = parse_model_ref(text)
        assert version is not None
        found = ctx.state().version(model, version)
        return Side(text, found.commit_id, ctx.provenance(found.commit_id) or {})
    ref = text
    try:
        ctx.repo.get_commit(ref)
    except NotFoundError:
        from lakeline.names import experiment_branch

        try:
            ref = experiment_branch(text)
            ctx.repo.get_commit(ref)
        except (NotFoundError, InvalidInputError):
            raise NotFoundError(
                f"{text!r} is neither a model version (M@vX.Y.Z) nor a ref in the store"
            ) from None
    record = ctx.provenance(ref)
    if record is None:
        record = {}
    return Side(text, ref, record)


def _mapping_rows(
    kind: str, a: Mapping[str, Any], b: Mapping[str, Any], *, deltas: bool
) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(set(a) | set(b)):
        left: Any = a.get(key)
        right: Any = b.get(key)
        if key not in a:
            change = "added"
        elif key not in b:
            change = "removed"
        elif left == right:
            change = ""
        elif deltas and _number(left) and _number(right):
            change = f"{right - left:+.6g}"
        else:
            change = "changed"
        rows.append({"kind": kind, "key": key, "a": left, "b": right, "change": change})
    return rows


def _signature_rows(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    models = sorted(set(a.get("artifacts") or {}) | set(b.get("artifacts") or {}))
    rows = []
    for model in models:
        sa, sb = artifact(a, model).get("signature") or {}, artifact(b, model).get("signature") or {}
        ins_a = {str(i.get("name")): i.get("dtype") for i in sa.get("inputs") or [] if isinstance(i, Mapping)}
        ins_b = {str(i.get("name")): i.get("dtype") for i in sb.get("inputs") or [] if isinstance(i, Mapping)}
        for name in sorted(set(ins_a) | set(ins_b)):
            if ins_a.get(name) != ins_b.get(name) or (name in ins_a) != (name in ins_b):
                change = "added" if name not in ins_a else "removed" if name not in ins_b else "changed"
                rows.append(
                    {
                        "kind": "signature",
                        "key": f"{model} input {name}",
                        "a": ins_a.get(name),
                        "b": ins_b.get(name),
                        "change": change,
                    }
                )
        out_a, out_b = sa.get("outputs"), sb.get("outputs")
        if out_a != out_b:
            rows.append(
                {"kind": "signature", "key": f"{model} outputs", "a": out_a, "b": out_b, "change": "changed"}
            )
    return rows


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
