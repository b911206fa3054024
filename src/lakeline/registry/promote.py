"""Promotion (gates, merge into main, semver tag, event) and approvals.

A promotion reads the experiment branch's provenance record at its head, checks the policy
(who may promote, approvals, metric gates), computes the version, then merges, tags and
records the event, in that order: a refusal or a merge conflict writes nothing, and a
promotion interrupted after its merge is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakeline.errors import (
    AlreadyExistsError,
    DirtyBranchError,
    GateFailedError,
    InvalidInputError,
    MergeConflictError,
    NoChangesError,
    NotFoundError,
    RegistryError,
)
from lakeline.names import Version, check_model_name, experiment_branch, version_tag
from lakeline.registry.bump import compute_bump
from lakeline.registry.context import RegistryContext
from lakeline.registry.events import Event
from lakeline.registry.gates import GateResult, LiveMetrics, evaluate_gates
from lakeline.registry.policy import ModelPolicy
from lakeline.registry.state import RegistryState
from lakeline.store.base import MergeStrategy

FIRST_VERSION = Version(1, 0, 0)
BUMPS = ("major", "minor", "patch")


@dataclass(frozen=True)
class GateCheck:
    """Everything a promotion of ``branch`` would be judged on, and the verdict."""

    branch: str
    commit_id: str
    model: str
    gates: tuple[GateResult, ...]
    approvals_needed: int
    approvers: tuple[str, ...]

    @property
    def failures(self) -> list[str]:
        lines = [g.detail for g in self.gates if not g.passed]
        if len(self.approvers) < self.approvals_needed:
            who = f" (from {', '.join(self.approvers)})" if self.approvers else ""
            lines.append(
                f"approvals: {len(self.approvers)} of {self.approvals_needed} for {self.branch}@"
                f"{self.commit_id[:12]}{who}; run 'lakeline approve {self.branch}'"
            )
        return lines

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class PromoteResult:
    model: str
    version: str
    tag: str
    commit_id: str
    source_branch: str
    source_commit: str
    bump: str
    bump_reason: str
    previous_version: str | None
    gates: tuple[GateResult, ...]
    approvers: tuple[str, ...]
    event: Event


def find_branch(ctx: RegistryContext, name: str) -> str:
    """``exp-lr`` or ``lr`` -> the existing branch (an existing name is taken as it is)."""
    try:
        return ctx.repo.get_branch(name).name
    except NotFoundError:
        pass
    branch = experiment_branch(name)
    try:
        return ctx.repo.get_branch(branch).name
    except NotFoundError:
        raise NotFoundError(
            f"no experiment {name!r}: branch {branch!r} not found (lakeline exp list shows them)"
        ) from None


def pick_model(record: Mapping[str, Any], model: str | None, where: str) -> str:
    """The model a record declares (dvc.yaml ``artifacts:`` of type model); ``model`` picks one."""
    artifacts = record.get("artifacts") or {}
    declared = sorted(
        str(name)
        for name, entry in artifacts.items()
        if isinstance(entry, Mapping) and entry.get("type", "model") in ("model", None)
    )
    if model is not None:
        check_model_name(model)
        if model not in declared:
            shown = ", ".join(declared) or "none"
            raise NotFoundError(
                f"{where} declares no model {model!r} in dvc.yaml artifacts (declared: {shown})"
            )
        return model
    if not declared:
        raise RegistryError(
            f"{where} declares no model: add it to dvc.yaml's 'artifacts:' (type: model), then commit again"
        )
    if len(declared) > 1:
        raise InvalidInputError(
            f"{where} declares several models ({', '.join(declared)}): pick one with --model"
        )
    return declared[0]


def check_gates(
    ctx: RegistryContext,
    state: RegistryState,
    model_policy: ModelPolicy,
    model: str,
    branch: str,
    commit_id: str,
    metrics: Mapping[str, Any],
) -> GateCheck:
    def live(name: str) -> LiveMetrics | None:
        found = state.live_or_alias(model, name)
        if found is None:
            return None
        version, label = found
        known = state.versions.get(model, {}).get(version)
        values: Mapping[str, Any] = known.metrics if known is not None else {}
        if not values and known is not None:
            values = (ctx.provenance(known.commit_id) or {}).get("metrics") or {}
        return LiveMetrics(label, values)

    results = evaluate_gates(model_policy.gates, metrics, live)
    approvers = state.approvers(model, branch, commit_id)
    return GateCheck(branch, commit_id, model, tuple(results), model_policy.approvals, tuple(approvers))


def next_version(
    ctx: RegistryContext,
    state: RegistryState,
    model: str,
    record: Mapping[str, Any],
    *,
    bump: str | None,
    version: str | None,
) -> tuple[Version, str, str]:
    """(new version, bump kind for the event, why) for promoting ``record``."""
    latest = state.latest(model)
    if version is not None:
        wanted = Version.parse(version)
        if latest is not None and wanted <= latest.version:
            raise InvalidInputError(
                f"{model}@{wanted} is not above the latest version {latest.version}: pick a higher one"
            )
        return wanted, "forced" if latest is not None else "initial", "given with --version"
    if bump is not None and bump not in BUMPS:
        raise InvalidInputError(f"invalid bump {bump!r}: expected major, minor or patch")
    if latest is None:
        return FIRST_VERSION, "initial", f"first version of {model}"
    if bump is not None:
        return latest.version.bump(bump), "forced", f"--bump {bump}"
    current = ctx.provenance(latest.commit_id) or {}
    decision = compute_bump(record, current, model)
    return latest.version.bump(decision.part), decision.part, decision.reason


def promote(
    ctx: RegistryContext,
    name: str,
    *,
    model: str | None = None,
    bump: str | None = None,
    version: str | None = None,
    reason: str = "",
    strategy: MergeStrategy | None = None,
) -> PromoteResult:
    if bump is not None and version is not None:
        raise InvalidInputError("give --bump or --version, not both")
    repo, main = ctx.repo, ctx.main
    with ctx.locked():
        branch = find_branch(ctx, name)
        if branch == main:
            raise InvalidInputError(f"cannot promote {main!r} into itself: promote an experiment branch")
        if next(iter(repo.diff_uncommitted(branch)), None) is not None:
            raise DirtyBranchError(
                f"{branch} has uncommitted changes: commit them (lakeline commit) or reset them"
            )
        head = repo.get_branch(branch).commit_id
        record = ctx.require_provenance(head, f"{branch}@{head[:12]}")
        model = pick_model(record, model, f"{branch}@{head[:12]}")
        policy = ctx.policy()
        policy.check_allowed("promote", model, ctx.user)
        state = ctx.state()
        metrics = record.get("metrics") or {}
        check = check_gates(ctx, state, policy.for_model(model), model, branch, head, metrics)
        if not check.passed:
            raise GateFailedError(f"promotion of {branch} ({model}) refused", check.failures)

        new, kind, why = next_version(ctx, state, model, record, bump=bump, version=version)
        tag = version_tag(model, new)
        latest = state.latest(model)
        previous = str(latest.version) if latest is not None else None
        try:
            existing: str | None = repo.get_tag(tag).commit_id
        except NotFoundError:
            existing = None
        if existing is None:
            merge_commit = _merge_or_resume(ctx, branch, head, model, new, reason, strategy)
            repo.create_tag(tag, merge_commit)
        elif repo.get_commit(existing).metadata.get("lakeline.source_commit") == head:
            merge_commit = existing  # an interrupted promotion of this very head: finish it
        else:
            raise AlreadyExistsError(
                f"tag {tag!r} already exists (made outside the registry?): "
                "pick another version with --version"
            )
        event = ctx.record(
            "promote",
            model=model,
            version=str(new),
            reason=reason,
            details={
                "source_branch": branch,
                "source_commit": head,
                "commit_id": merge_commit,
                "tag": tag,
                "bump": kind,
                "previous_version": previous,
                "metrics": dict(metrics),
                "params": dict(record.get("params") or {}),
            },
        )
        return PromoteResult(
            model=model,
            version=str(new),
            tag=tag,
            commit_id=merge_commit,
            source_branch=branch,
            source_commit=head,
            bump=kind,
            bump_reason=why,
            previous_version=previous,
            gates=check.gates,
            approvers=check.approvers,
            event=event,
        )


def _merge_or_resume(
    ctx: RegistryContext,
    branch: str,
    head: str,
    model: str,
    version: Version,
    reason: str,
    strategy: MergeStrategy | None,
) -> str:
    """Merge ``branch`` into main; the merge commit id (an earlier, unfinished one is reused)."""
    metadata = {
        "lakeline.kind": "promote",
        "lakeline.model": model,
        "lakeline.version": str(version),
        "lakeline.source_branch": branch,
        "lakeline.source_commit": head,
    }
    message = f"Promote {branch} as {model}@{version}" + (f": {reason}" if reason else "")
    try:
        return ctx.repo.merge(branch, ctx.main, message=message, metadata=metadata, strategy=strategy).id
    except MergeConflictError as exc:
        raise MergeConflictError(
            f"cannot promote {branch} into {ctx.main}, nothing was merged; conflicting paths", exc.paths
        ) from None
    except NoChangesError:
        unfinished = _unfinished_promotion(ctx, head, model)
        if unfinished is not None:
            return unfinished
        raise NoChangesError(
            f"{branch} has nothing to merge into {ctx.main} (already promoted or unchanged since it branched)"
        ) from None


def _unfinished_promotion(ctx: RegistryContext, head: str, model: str, depth: int = 100) -> str | None:
    """A merge of ``head`` into main by a promotion that never got its tag (it was interrupted)."""
    for commit in ctx.repo.log(ctx.main, first_parent=True, amount=depth):
        meta = commit.metadata
        if meta.get("lakeline.source_commit") == head and meta.get("lakeline.model") == model:
            tagged = {t.commit_id for t in ctx.repo.list_tags(prefix=f"{model}-v")}
            return None if commit.id in tagged else commit.id
    return None


def approve(ctx: RegistryContext, name: str, *, model: str | None = None, reason: str = "") -> Event:
    with ctx.locked():
        branch = find_branch(ctx, name)
        head = ctx.repo.get_branch(branch).commit_id
        where = f"{branch}@{head[:12]}"
        record = ctx.provenance(head)
        if record is None and model is None:
            raise RegistryError(f"{where} has no provenance record naming its model: give --model")
        chosen = pick_model(record or {"artifacts": {model: {"type": "model"}}}, model, where)
        state = ctx.state()
        if ctx.user in state.approvers(chosen, branch, head):
            raise NoChangesError(f"{ctx.user} already approved {where} for {chosen}")
        return ctx.record(
            "approve",
            model=chosen,
            version=None,
            reason=reason,
            details={"branch": branch, "commit_id": head},
        )
