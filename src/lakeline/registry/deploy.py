"""Aliases, deployments (traffic splits), resolve, rollback and retire.

A deployment is the traffic split of one model in one environment; each deploy or rollback
event records the whole resulting split, so the current one is the latest event's. The
planners (`plan_deploy`, `plan_rollback`, `pick_slot`) are pure; the actions check policy
and state under the registry lock, then append one event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from lakeline.errors import (
    DirtyBranchError,
    InvalidInputError,
    InvalidNameError,
    NoChangesError,
    NotFoundError,
    RegistryError,
)
from lakeline.names import ALIAS_NAME, Version, check_alias_name, check_model_name, version_tag
from lakeline.registry.bump import artifact
from lakeline.registry.context import RegistryContext
from lakeline.registry.events import Event
from lakeline.registry.state import EnvState, ModelVersion, RegistryState, Slot, Split, plain_number

DEFAULT_ENV = "production"


@dataclass(frozen=True)
class Resolution:
    """What serving code should load for one request."""

    model: str
    env: str
    version: str
    ref: str  # the stored tag to read from
    commit_id: str
    path: str | None  # the model artifact's path inside that commit
    traffic: float | int  # the share of the env this version serves
    source: str  # "deployment" or "alias"
    key: str | None = None
    bucket: float | None = None  # where the key hashed to in [0, 100)


@dataclass(frozen=True)
class RollbackResult:
    event: Event
    from_version: str
    to_version: str
    restored_commit: str | None
    alias_event: Event | None


def check_env_name(name: str) -> str:
    if not ALIAS_NAME.fullmatch(name):
        raise InvalidNameError(
            f"invalid environment {name!r}: start with a lowercase letter; then letters, digits, '_', '-'"
        )
    return name


# --- pure planning ---------------------------------------------------------------------------------
def plan_deploy(current: Split, version: Version, traffic: float | None, shadow: bool) -> tuple[str, Split]:
    """The mode and resulting split of deploying ``version`` onto ``current``.

    Canary (traffic < 100) keeps the versions already serving at the remainder, in proportion
    to their shares, and appends the new version last, so growing a canary keeps each key's
    assignment (see `pick_slot`). 100 switches fully (blue-green if something else served).
    Shadow adds a mirrored slot that serves 0%. Other shadows are kept.
    """
    others = [s for s in current if s.version != version]
    serving = [s for s in others if s.serving]
    shadows = [s for s in others if s.shadow]
    if shadow:
        if traffic is not None:
            raise InvalidInputError("a shadow deployment serves 0% (traffic is mirrored): drop --traffic")
        if any(s.version == version and s.serving for s in current):
            raise RegistryError(
                f"{version} is serving traffic here: deploy another version first, then shadow this one"
            )
        return "shadow", (*serving, *shadows, Slot(version, 0.0, True))
    share = 100.0 if traffic is None else round(float(traffic), 2)  # 0.01% resolution
    if not 0 < share <= 100:
        raise InvalidInputError(f"traffic must be more than 0 and at most 100 (percent), not {traffic}")
    if share == 100:
        return ("blue-green" if serving else "full"), (Slot(version, 100.0), *shadows)
    if not serving:
        raise RegistryError(
            f"a {plain_number(share)}% canary needs a live version to serve the other "
            f"{plain_number(round(100 - share, 2))}%: nothing else is live here; "
            "deploy with --traffic 100 first"
        )
    units = _share_out(10000 - round(share * 100), [s.traffic for s in serving])
    kept = [Slot(s.version, u / 100) for s, u in zip(serving, units, strict=True) if u > 0]
    return "canary", (*kept, Slot(version, share), *shadows)


def _share_out(units: int, weights: list[float]) -> list[int]:
    """Split ``units`` in proportion to ``weights`` exactly (largest remainders get the rest)."""
    total = sum(weights)
    quotas = [units * w / total for w in weights]
    parts = [int(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda i: quotas[i] - parts[i], reverse=True)
    for i in by_remainder[: units - sum(parts)]:
        parts[i] += 1
    return parts


def previous_live(history: list[EnvState]) -> tuple[Version, Version]:
    """(from, to) for a rollback: the version last brought in, and what served before it.

    The version rolled back is the one the latest event put into service (else the current
    largest share); the target is the largest share of the latest earlier split in which
    that version was not serving.
    """
    rolled = rolled_version(history)
    for past in reversed(history):
        if any(s.version == rolled and s.serving for s in past.split):
            continue
        before = _primary(past.split)
        if before is not None:
            return rolled, before.version
    raise RegistryError(f"no version served here before {rolled}: name one with --to VERSION")


def rolled_version(history: list[EnvState]) -> Version:
    """The version a rollback takes out: the one the latest event put into service, if it
    still serves, else the current largest share."""
    if not history:
        raise RegistryError("nothing is deployed here to roll back")
    current = history[-1].split
    primary = _primary(current)
    if primary is None:
        raise RegistryError("nothing serves traffic here to roll back")
    last = history[-1].event.version
    if last and any(s.version == Version.parse(last) and s.serving for s in current):
        return Version.parse(last)
    return primary.version


def rollback_split(current: Split, target: Version) -> Split:
    return (Slot(target, 100.0), *(s for s in current if s.shadow and s.version != target))


def bucket(model: str, env: str, key: str) -> float:
    """A key's fixed point in [0, 100): the same key always lands in the same place."""
    digest = hashlib.sha256(f"{model}\x00{env}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100


def pick_slot(split: Split, point: float) -> Slot:
    """The serving slot whose cumulative range holds ``point`` (slots in split order)."""
    serving = [s for s in split if s.serving]
    if not serving:
        raise RegistryError("nothing serves traffic here")
    total = sum(s.traffic for s in serving)
    scaled = point * total / 100.0
    edge = 0.0
    for slot in serving:
        edge += slot.traffic
        if scaled < edge:
            return slot
    return serving[-1]


def _primary(split: Split) -> Slot | None:
    serving = [s for s in split if s.serving]
    if not serving:
        return None
    best = max(s.traffic for s in serving)
    return [s for s in serving if s.traffic == best][-1]


# --- actions ---------------------------------------------------------------------------------------
def active_version(state: RegistryState, model: str, version: Version, doing: str) -> ModelVersion:
    """The registered version, refusing retired ones (``doing`` says what was attempted)."""
    check_model_name(model)
    found = state.version(model, version)
    if found.status == "retired":
        raise RegistryError(
            f"{found.ref} is retired (by {found.retired_by} at {found.retired_at}): it cannot be {doing}; "
            f"use an active version (lakeline versions {model})"
        )
    return found


def alias_set(ctx: RegistryContext, model: str, alias: str, version: Version, reason: str = "") -> Event:
    check_alias_name(alias)
    with ctx.locked():
        state = ctx.state()
        active_version(state, model, version, "given an alias")
        previous = state.aliases.get((model, alias))
        if previous == version:
            raise NoChangesError(f"alias {alias!r} of {model} already points at {version}")
        return ctx.record(
            "alias",
            model=model,
            version=str(version),
            reason=reason,
            details={"alias": alias, "previous_version": str(previous) if previous else None},
        )


def alias_rows(state: RegistryState, model: str | None, history: bool) -> list[dict[str, Any]]:
    if history:
        return [
            {
                "time": e.time,
                "model": e.model,
                "alias": e.details.get("alias"),
                "version": e.version,
                "previous_version": e.details.get("previous_version"),
                "user": e.user,
                "reason": e.reason,
            }
            for e in state.alias_events
            if model is None or e.model == model
        ]
    latest: dict[tuple[str, str], Event] = {}
    for e in state.alias_events:
        latest[(e.model, str(e.details.get("alias")))] = e
    return [
        {"model": m, "alias": a, "version": e.version, "since": e.time, "user": e.user, "reason": e.reason}
        for (m, a), e in sorted(latest.items())
        if model is None or m == model
    ]


def deploy(
    ctx: RegistryContext,
    model: str,
    version: Version,
    env: str,
    *,
    traffic: float | None = None,
    shadow: bool = False,
    reason: str = "",
) -> Event:
    check_env_name(env)
    check_model_name(model)
    ctx.policy().check_allowed("deploy", model, ctx.user)
    with ctx.locked():
        state = ctx.state()
        active_version(state, model, version, "deployed")
        current = state.split(model, env)
        mode, split = plan_deploy(current, version, traffic, shadow)
        if split == current:
            raise NoChangesError(f"{model}@{version} already has that share of {env}")
        share = next(s.traffic for s in split if s.version == version)
        return ctx.record(
            "deploy",
            model=model,
            version=str(version),
            reason=reason,
            details={
                "env": env,
                "traffic": plain_number(share),
                "mode": mode,
                "state": [s.to_json() for s in split],
            },
        )


def deployment_rows(state: RegistryState, model: str | None) -> list[dict[str, Any]]:
    rows = []
    for (m, env), history in sorted(state.env_history.items()):
        if model is not None and m != model:
            continue
        last = history[-1].event
        live = state.live(m, env)
        for slot in history[-1].split:
            rows.append(
                {
                    "model": m,
                    "env": env,
                    "version": str(slot.version),
                    "traffic": plain_number(slot.traffic),
                    "shadow": slot.shadow,
                    "live": live is not None and slot == live,
                    "since": last.time,
                    "by": last.user,
                    "last_action": last.type,
                }
            )
    return rows


def resolve(ctx: RegistryContext, model: str, env: str, key: str | None = None) -> Resolution:
    check_model_name(model)
    check_env_name(env)
    state = ctx.state()
    split = state.split(model, env)
    point = bucket(model, env, key) if key is not None else None
    slot: Slot | None
    if any(s.serving for s in split):
        slot = pick_slot(split, point) if point is not None else state.live(model, env)
        source = "deployment"
    else:
        aliased = state.aliases.get((model, env))
        if aliased is None:
            known = ", ".join(state.environments(model)) or "none"
            raise NotFoundError(
                f"{model} has no live version in {env!r} (deployed in: {known}) and no alias {env!r}: "
                f"run 'lakeline deploy {model} VERSION --env {env}'"
            )
        active_version(state, model, aliased, f"served through alias {env!r}")
        slot, source = Slot(aliased, 100.0), "alias"
    assert slot is not None
    found = state.version(model, slot.version)
    record = ctx.provenance(found.commit_id) or {}
    path = artifact(record, model).get("path")
    return Resolution(
        model=model,
        env=env,
        version=str(slot.version),
        ref=found.tag or version_tag(model, slot.version),
        commit_id=found.commit_id,
        path=str(path) if path else None,
        traffic=plain_number(slot.traffic),
        source=source,
        key=key,
        bucket=round(point, 6) if point is not None else None,
    )


def default_env(state: RegistryState, model: str) -> str:
    """Rollback's environment when none is named: production, else the only one deployed."""
    envs = state.environments(model)
    if DEFAULT_ENV in envs or (model, DEFAULT_ENV) in state.aliases:
        return DEFAULT_ENV
    if len(envs) == 1:
        return envs[0]
    if not envs:
        raise RegistryError(f"{model} is not deployed anywhere and has no {DEFAULT_ENV!r} alias to roll back")
    raise RegistryError(f"{model} is deployed in {', '.join(envs)}: name one with --env")


def rollback(
    ctx: RegistryContext,
    model: str,
    *,
    env: str | None = None,
    to: Version | None = None,
    restore_main: bool = False,
    reason: str = "",
) -> RollbackResult:
    check_model_name(model)
    ctx.policy().check_allowed("deploy", model, ctx.user)
    with ctx.locked():
        state = ctx.state()
        env = check_env_name(env) if env else default_env(state, model)
        history = state.env_history.get((model, env), [])
        if not history:
            return _rollback_alias(ctx, state, model, env, to, restore_main, reason)
        current = history[-1].split
        try:
            rolled, target = (rolled_version(history), to) if to is not None else previous_live(history)
        except RegistryError as exc:
            raise RegistryError(f"cannot roll back {model} in {env}: {exc}") from None
        found = active_version(state, model, target, "rolled back to")
        split = rollback_split(current, target)
        if split == current:
            raise NoChangesError(f"{model}@{target} already serves all of {env}")
        restored = restore_onto_main(ctx, found) if restore_main else None
        event = ctx.record(
            "rollback",
            model=model,
            version=str(target),
            reason=reason,
            details={
                "env": env,
                "from_version": str(rolled),
                "state": [s.to_json() for s in split],
                "restored_commit": restored,
            },
        )
        alias_event = None
        if state.aliases.get((model, env)) == rolled:
            alias_event = ctx.record(
                "alias",
                model=model,
                version=str(target),
                reason=f"rollback of {env}" + (f": {reason}" if reason else ""),
                details={"alias": env, "previous_version": str(rolled)},
            )
        return RollbackResult(event, str(rolled), str(target), restored, alias_event)


def _rollback_alias(
    ctx: RegistryContext,
    state: RegistryState,
    model: str,
    alias: str,
    to: Version | None,
    restore_main: bool,
    reason: str,
) -> RollbackResult:
    """No deployment in ``alias``: move the alias of that name back instead."""
    current = state.aliases.get((model, alias))
    if current is None:
        raise RegistryError(f"{model} has no deployment and no alias named {alias!r} to roll back")
    target = to
    if target is None:
        # The alias's value before it last became `current`.
        moves = [e for e in state.alias_events if e.model == model and e.details.get("alias") == alias]
        for event in reversed(moves):
            if event.version != str(current):
                target = Version.parse(str(event.version))
                break
            previous = event.details.get("previous_version")
            if previous and previous != str(current):
                target = Version.parse(str(previous))
                break
    if target is None:
        raise RegistryError(f"alias {alias!r} of {model} never pointed elsewhere: name a version with --to")
    found = active_version(state, model, target, "rolled back to")
    if target == current:
        raise NoChangesError(f"alias {alias!r} of {model} already points at {target}")
    restored = restore_onto_main(ctx, found) if restore_main else None
    event = ctx.record(
        "alias",
        model=model,
        version=str(target),
        reason="rollback" + (f": {reason}" if reason else ""),
        details={"alias": alias, "previous_version": str(current)},
    )
    return RollbackResult(event, str(current), str(target), restored, None)


def restore_onto_main(ctx: RegistryContext, version: ModelVersion) -> str:
    """Commit the version's whole tree (artifacts and provenance) onto main; the new commit id.

    Copies only the objects that differ, with their user metadata; the commit carries the
    restored version's provenance summary. Main must be clean; a failure leaves it unchanged.
    """
    repo, main = ctx.repo, ctx.main
    if next(iter(repo.diff_uncommitted(main)), None) is not None:
        raise DirtyBranchError(
            f"branch {main!r} has uncommitted changes: commit or reset them before --restore-main"
        )
    changes = list(repo.diff(main, version.commit_id, diff_type="two_dot"))
    if not changes:
        return repo.get_branch(main).commit_id
    try:
        for change in changes:
            if change.type == "removed":
                repo.delete_object(main, change.path)
                continue
            stats = repo.stat_object(version.commit_id, change.path)
            with repo.open_object(version.commit_id, change.path) as stream:
                repo.put_object(
                    main, change.path, stream, metadata=dict(stats.metadata), content_type=stats.content_type
                )
        metadata = _provenance_metadata(ctx, version)
        metadata["lakeline.restored_from"] = version.tag
        commit = repo.commit(main, f"Restore {version.ref} onto {main}", metadata=metadata)
    except BaseException:
        repo.reset_branch(main)
        raise
    return commit.id


def _provenance_metadata(ctx: RegistryContext, version: ModelVersion) -> dict[str, str]:
    """The pipeline commit's summary metadata (lakeline.*) of the version's source commit."""
    for ref in (version.source_commit, version.commit_id):
        if not ref:
            continue
        try:
            meta = ctx.repo.get_commit(ref).metadata
        except NotFoundError:
            continue
        summary = {k: v for k, v in meta.items() if k.startswith("lakeline.")}
        if summary.get("lakeline.kind") == "pipeline":
            return summary
    return {"lakeline.kind": "pipeline"}


def retire(ctx: RegistryContext, model: str, version: Version, reason: str = "") -> Event:
    check_model_name(model)
    ctx.policy().check_allowed("retire", model, ctx.user)
    with ctx.locked():
        state = ctx.state()
        found = state.version(model, version)
        if found.status == "retired":
            raise RegistryError(
                f"{found.ref} is already retired (by {found.retired_by} at {found.retired_at})"
            )
        placed = state.placements(model, version)
        if placed:
            where = ", ".join(
                f"{env} ({'shadow' if s.shadow else f'{plain_number(s.traffic)}%'})" for env, s in placed
            )
            raise RegistryError(
                f"{found.ref} is deployed in {where}: deploy or roll back to another version first"
            )
        return ctx.record("retire", model=model, version=str(version), reason=reason, details={})
