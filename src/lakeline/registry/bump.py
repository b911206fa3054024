"""The semver bump of a promotion, computed from two provenance records.

major: the model's signature (inputs/outputs) differs from the current version's; minor: its
upstream data, code or params differ (the lineage closure that ends at the model's path, with
content hashes and param values); patch: anything else (docs, metadata). The records are the
``_lakeline/provenance.json`` objects of docs/formats.md, passed in as dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

BumpPart = Literal["major", "minor", "patch"]


@dataclass(frozen=True)
class BumpDecision:
    part: BumpPart
    reason: str  # one line: what changed (or that nothing relevant did)


def artifact(record: Mapping[str, Any], model: str) -> Mapping[str, Any]:
    """The model's entry in a record's ``artifacts`` (empty when the record does not declare it)."""
    artifacts = record.get("artifacts") or {}
    entry = artifacts.get(model) if isinstance(artifacts, Mapping) else None
    return entry if isinstance(entry, Mapping) else {}


def signature(record: Mapping[str, Any], model: str) -> Any:
    return artifact(record, model).get("signature")


def upstream(record: Mapping[str, Any], model: str) -> frozenset[tuple[str, str, str]]:
    """Every (kind, path, hash) the model was built from, following lineage edges backwards.

    Starts at the artifact's path (or the directory output holding it) and walks edges whose
    destination is a path already reached; stops when nothing new is reached. A record whose
    lineage does not reach the model falls back to all of its sources and params.
    """
    edges = [e for e in record.get("lineage") or [] if isinstance(e, Mapping)]
    path = artifact(record, model).get("path")
    reached: set[str] = set()
    sources: set[tuple[str, str, str]] = set()
    if isinstance(path, str) and path:
        frontier = {path}
        while frontier:
            reached |= frontier
            found: set[str] = set()
            for edge in edges:
                dst = str(edge.get("dst_path", ""))
                if any(_covers(dst, p) for p in frontier):
                    src = str(edge.get("src_path", ""))
                    sources.add((str(edge.get("src_kind", "")), src, str(edge.get("src_hash", ""))))
                    if edge.get("src_kind") != "param" and src not in reached:
                        found.add(src)
            frontier = found
    if sources:
        return frozenset(sources)
    everything = {
        (str(e.get("src_kind", "")), str(e.get("src_path", "")), str(e.get("src_hash", ""))) for e in edges
    }
    params = record.get("params") or {}
    everything |= {("param", f"params:{k}", _canonical(v)) for k, v in params.items()}
    return frozenset(everything)


def compute_bump(candidate: Mapping[str, Any], current: Mapping[str, Any], model: str) -> BumpDecision:
    """How far the candidate's version moves from the current version of ``model``."""
    if _canonical(signature(candidate, model)) != _canonical(signature(current, model)):
        return BumpDecision("major", f"the signature of {model} changed")
    new, old = upstream(candidate, model), upstream(current, model)
    if new != old:
        changed = sorted({path for _, path, _ in new ^ old})
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        return BumpDecision("minor", f"data or params upstream of {model} changed: {shown}")
    return BumpDecision("patch", f"signature, data and params of {model} unchanged")


def _covers(output: str, path: str) -> bool:
    """Does the output ``output`` (a file, or a directory) hold ``path``?"""
    return output == path or (bool(output) and path.startswith(output.rstrip("/") + "/"))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
