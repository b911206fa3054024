"""The registry policy: ``lakeline.yaml`` at the project root, per model.

Gates a promotion must pass, how many approvals it needs, and who may promote, deploy or
retire. An absent file or model means no gates, no approvals and anyone may act; an absent
list means anyone, an empty list means nobody. Any mistake in the file is one ConfigError
naming the file and the entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lakeline.errors import ConfigError, InvalidInputError, PermissionDeniedError
from lakeline.registry.gates import Gate, parse_gate

POLICY_FILE = "lakeline.yaml"
Action = Literal["promote", "deploy", "retire"]
# The policy list that restricts each action.
ACTION_LISTS: dict[str, str] = {"promote": "promoters", "deploy": "deployers", "retire": "retirers"}
_MODEL_KEYS = {"gates", "approvals", *ACTION_LISTS.values()}


@dataclass(frozen=True)
class ModelPolicy:
    gates: tuple[Gate, ...] = ()
    approvals: int = 0
    # None: anyone may; a tuple: only these users.
    promoters: tuple[str, ...] | None = None
    deployers: tuple[str, ...] | None = None
    retirers: tuple[str, ...] | None = None

    def allowed(self, action: Action) -> tuple[str, ...] | None:
        users: tuple[str, ...] | None = getattr(self, ACTION_LISTS[action])
        return users


@dataclass(frozen=True)
class Policy:
    source: str = POLICY_FILE  # where it came from, for messages
    models: dict[str, ModelPolicy] = field(default_factory=dict)

    def for_model(self, model: str) -> ModelPolicy:
        return self.models.get(model, ModelPolicy())

    def check_allowed(self, action: Action, model: str, user: str) -> None:
        """PermissionDeniedError unless ``user`` may do ``action`` on ``model``."""
        users = self.for_model(model).allowed(action)
        if users is None or user in users:
            return
        key = ACTION_LISTS[action]
        who = ", ".join(users) if users else "nobody"
        raise PermissionDeniedError(
            f"{user} may not {action} {model}: {self.source} models.{model}.{key} allows {who}"
        )


def load_policy(root: Path) -> Policy:
    """Read ``lakeline.yaml`` from the project root (no file: an empty policy)."""
    path = root / POLICY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Policy(source=str(path))
    except OSError as exc:
        raise ConfigError(f"cannot read policy file {path}: {exc.strerror or exc}") from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str = POLICY_FILE) -> Policy:
    import yaml

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{source} is not valid YAML{where}: {first}") from None
    if raw is None:
        return Policy(source=source)
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with a 'models' key")
    unknown = sorted(str(k) for k in raw if k != "models")
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key {unknown[0]!r} (expected 'models')")
    models_raw = raw.get("models") or {}
    if not isinstance(models_raw, dict):
        raise ConfigError(f"{source}: 'models' must map model names to their policy")
    models: dict[str, ModelPolicy] = {}
    for name, entry in models_raw.items():
        models[str(name)] = _model_policy(str(name), entry, source)
    return Policy(source=source, models=models)


def _model_policy(name: str, entry: Any, source: str) -> ModelPolicy:
    from lakeline.names import check_model_name

    where = f"{source}: models.{name}"
    try:
        check_model_name(name)
    except InvalidInputError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if entry is None:
        return ModelPolicy()
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a mapping (gates, approvals, promoters, deployers, retirers)")
    unknown = sorted(str(k) for k in entry if k not in _MODEL_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (expected one of {', '.join(sorted(_MODEL_KEYS))})"
        )

    gates_raw = entry.get("gates") or []
    if not isinstance(gates_raw, list):
        raise ConfigError(f"{where}.gates must be a list of expressions like 'accuracy >= 0.9'")
    gates = []
    for i, text in enumerate(gates_raw):
        try:
            gates.append(parse_gate(text))
        except InvalidInputError as exc:
            raise ConfigError(f"{where}.gates[{i}]: {exc}") from None

    approvals = entry.get("approvals", 0)
    if approvals is None:
        approvals = 0
    if isinstance(approvals, bool) or not isinstance(approvals, int) or approvals < 0:
        raise ConfigError(f"{where}.approvals must be a whole number >= 0, not {approvals!r}")

    lists: dict[str, tuple[str, ...] | None] = {}
    for key in ACTION_LISTS.values():
        if key not in entry:
            lists[key] = None
            continue
        users = entry[key]
        if not isinstance(users, list) or not all(isinstance(u, str) and u.strip() for u in users):
            raise ConfigError(
                f"{where}.{key} must be a list of user names or emails "
                "([] allows nobody; leave the key out to allow anyone)"
            )
        lists[key] = tuple(u.strip() for u in users)
    return ModelPolicy(gates=tuple(gates), approvals=approvals, **lists)
