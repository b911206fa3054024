"""The registry's current state, folded from its events in order.

Versions (with status), aliases (current and history), deployments per model and
environment (the traffic split left by the latest deploy or rollback, and every earlier
split), and approvals. Nothing here touches the store; `RegistryState.fold` is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lakeline.errors import NotFoundError
from lakeline.names import Version
from lakeline.registry.events import Event


@dataclass(frozen=True)
class Slot:
    """One version's share of an environment's traffic (shadow: mirrored, 0% served)."""

    version: Version
    traffic: float
    shadow: bool = False

    @property
    def serving(self) -> bool:
        return not self.shadow and self.traffic > 0

    def to_json(self) -> dict[str, Any]:
        return {"version": str(self.version), "traffic": plain_number(self.traffic), "shadow": self.shadow}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Slot:
        return cls(
            Version.parse(str(raw["version"])), float(raw.get("traffic") or 0), bool(raw.get("shadow"))
        )


Split = tuple[Slot, ...]


@dataclass(frozen=True)
class ModelVersion:
    model: str
    version: Version
    tag: str
    commit_id: str
    promoted_by: str
    promoted_at: str
    reason: str
    source_branch: str | None
    source_commit: str | None
    bump: str | None
    previous_version: str | None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    status: str = "active"  # or "retired"
    retired_by: str | None = None
    retired_at: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"


@dataclass(frozen=True)
class EnvState:
    """One model's deployment in one environment after some event."""

    event: Event
    split: Split


class RegistryState:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.versions: dict[str, dict[Version, ModelVersion]] = {}
        self.aliases: dict[tuple[str, str], Version] = {}
        self.alias_events: list[Event] = []
        self.env_history: dict[tuple[str, str], list[EnvState]] = {}
        # (model, branch, commit id) -> user -> their latest approval
        self.approvals: dict[tuple[str, str, str], dict[str, Event]] = {}

    @classmethod
    def fold(cls, events: Iterable[Event]) -> RegistryState:
        state = cls()
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: Event) -> None:
        self.events.append(event)
        details = event.details
        version = Version.parse(event.version) if event.version else None
        if event.type == "promote" and version is not None:
            self.versions.setdefault(event.model, {})[version] = ModelVersion(
                model=event.model,
                version=version,
                tag=str(details.get("tag") or ""),
                commit_id=str(details.get("commit_id") or ""),
                promoted_by=event.user,
                promoted_at=event.time,
                reason=event.reason,
                source_branch=details.get("source_branch"),
                source_commit=details.get("source_commit"),
                bump=details.get("bump"),
                previous_version=details.get("previous_version"),
                metrics=dict(details.get("metrics") or {}),
                params=dict(details.get("params") or {}),
            )
        elif event.type == "retire" and version is not None:
            known = self.versions.get(event.model, {}).get(version)
            if known is not None:
                self.versions[event.model][version] = _replace(
                    known, status="retired", retired_by=event.user, retired_at=event.time
                )
        elif event.type == "alias" and version is not None:
            self.aliases[(event.model, str(details.get("alias")))] = version
            self.alias_events.append(event)
        elif event.type in ("deploy", "rollback"):
            split = tuple(Slot.from_json(s) for s in details.get("state") or [])
            key = (event.model, str(details.get("env")))
            self.env_history.setdefault(key, []).append(EnvState(event, split))
        elif event.type == "approve":
            key3 = (event.model, str(details.get("branch")), str(details.get("commit_id")))
            self.approvals.setdefault(key3, {})[event.user] = event

    # --- questions ------------------------------------------------------------------------------
    def models(self) -> list[str]:
        names = set(self.versions)
        names.update(m for m, _ in self.aliases)
        names.update(m for m, _ in self.env_history)
        return sorted(names)

    def model_versions(self, model: str) -> list[ModelVersion]:
        """Oldest version first."""
        return [self.versions[model][v] for v in sorted(self.versions.get(model, {}))]

    def version(self, model: str, version: Version) -> ModelVersion:
        found = self.versions.get(model, {}).get(version)
        if found is None:
            known = ", ".join(str(v) for v in sorted(self.versions.get(model, {}))) or "none yet"
            raise NotFoundError(f"{model}@{version} is not a registered version (versions: {known})")
        return found

    def latest(self, model: str) -> ModelVersion | None:
        """The highest version number ever promoted (retired ones included: numbers are never reused)."""
        versions = self.versions.get(model)
        return versions[max(versions)] if versions else None

    def split(self, model: str, env: str) -> Split:
        history = self.env_history.get((model, env))
        return history[-1].split if history else ()

    def environments(self, model: str) -> list[str]:
        return sorted(env for m, env in self.env_history if m == model)

    def live(self, model: str, env: str) -> Slot | None:
        """The version with the largest served share in ``env`` (ties: the most recently added)."""
        serving = [s for s in self.split(model, env) if s.serving]
        if not serving:
            return None
        best = max(s.traffic for s in serving)
        return [s for s in serving if s.traffic == best][-1]

    def live_or_alias(self, model: str, name: str) -> tuple[Version, str] | None:
        """The live version in environment ``name``; if nothing serves there, the alias ``name``."""
        slot = self.live(model, name)
        if slot is not None:
            return slot.version, f"{model}@{slot.version} (live in {name})"
        aliased = self.aliases.get((model, name))
        if aliased is not None:
            return aliased, f"{model}@{aliased} (alias {name})"
        return None

    def aliases_of(self, model: str, version: Version) -> list[str]:
        return sorted(a for (m, a), v in self.aliases.items() if m == model and v == version)

    def placements(self, model: str, version: Version) -> list[tuple[str, Slot]]:
        """Every environment where ``version`` has a slot now (serving or shadow)."""
        found = []
        for env in self.environments(model):
            for slot in self.split(model, env):
                if slot.version == version:
                    found.append((env, slot))
        return found

    def approvers(self, model: str, branch: str, commit_id: str) -> list[str]:
        return sorted(self.approvals.get((model, branch, commit_id), {}))


def plain_number(value: float) -> float | int:
    """90.0 -> 90 (JSON readers see whole percentages as integers); 12.5 stays."""
    return int(value) if float(value).is_integer() else round(value, 6)


def _replace(version: ModelVersion, **changes: Any) -> ModelVersion:
    import dataclasses

    return dataclasses.replace(version, **changes)
