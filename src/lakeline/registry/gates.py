"""Promotion gates: ``accuracy >= 0.9`` (a fixed bar) or ``recall >= production`` (no regression).

A gate compares one metric of the candidate with a number, or with the same metric of the
version live in an environment (or holding an alias) of that name, optionally with a margin
(``recall >= production - 0.01``). Parsing and evaluation live here; finding the live
version's metrics is the caller's job (it passes a lookup).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lakeline.errors import InvalidInputError

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GATE = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][\w.:/-]*?)\s*(?P<op>>=|<=|==|!=|>|<)\s*"
    rf"(?:(?P<number>{_NUMBER})|(?P<ref>[a-z][a-z0-9_-]*)(?:\s*(?P<sign>[-+])\s*(?P<margin>{_NUMBER}))?)"
    r"\s*$"
)


@dataclass(frozen=True)
class Gate:
    """One parsed gate. Exactly one of ``threshold`` and ``reference`` is set."""

    text: str
    metric: str
    op: str
    threshold: float | None = None
    reference: str | None = None  # an environment (or alias) name: compare with its live version
    margin: float = 0.0  # added to the reference's value (``production - 0.01`` -> -0.01)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class LiveMetrics:
    """The metrics of the version a gate's reference points at (``label`` says which one)."""

    label: str  # e.g. "classifier@v1.0.0 (live in production)"
    metrics: Mapping[str, Any]


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    passed: bool
    value: float | None  # the candidate's metric (None when missing or not a number)
    bar: float | None  # the value it was compared with (None when the gate had nothing to compare)
    detail: str  # one readable line

    def as_row(self) -> dict[str, Any]:
        return {
            "gate": self.gate.text,
            "passed": self.passed,
            "value": self.value,
            "bar": self.bar,
            "detail": self.detail,
        }


def parse_gate(text: str) -> Gate:
    """``'accuracy >= 0.9'`` -> Gate; InvalidInputError with the expected shape otherwise."""
    if not isinstance(text, str):
        raise InvalidInputError(f"{text!r} is not a gate: write it as a string like 'accuracy >= 0.9'")
    match = _GATE.match(text)
    if not match:
        raise InvalidInputError(
            f"{text!r} is not a gate: expected 'METRIC OP NUMBER' or 'METRIC OP ENV [+|- NUMBER]' "
            f"with OP one of {', '.join(OPERATORS)} (e.g. 'accuracy >= 0.9', 'recall >= production')"
        )
    clean = " ".join(text.split())
    if match["number"] is not None:
        return Gate(clean, match["metric"], match["op"], threshold=float(match["number"]))
    margin = float(match["margin"]) if match["margin"] is not None else 0.0
    if match["sign"] == "-":
        margin = -margin
    return Gate(clean, match["metric"], match["op"], reference=match["ref"], margin=margin)


def metric_value(metrics: Mapping[str, Any], name: str) -> float | None:
    """A metric as a float; None if absent or not a (finite or infinite) number."""
    value = metrics.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def evaluate_gate(
    gate: Gate,
    metrics: Mapping[str, Any],
    live: Callable[[str], LiveMetrics | None],
) -> GateResult:
    """Check one gate against the candidate's ``metrics``; ``live(name)`` finds a reference."""
    value = metric_value(metrics, gate.metric)
    if value is None or math.isnan(value):
        shown = "missing" if gate.metric not in metrics else f"not a number ({metrics[gate.metric]!r})"
        return GateResult(gate, False, None, gate.threshold, f"{gate.metric} is {shown} ({gate.text})")
    compare = OPERATORS[gate.op]
    if gate.reference is None:
        assert gate.threshold is not None
        bar = gate.threshold
        passed = compare(value, bar)
        return GateResult(gate, passed, value, bar, f"{gate.metric} = {value:g}, needs {gate.op} {bar:g}")
    reference = live(gate.reference)
    if reference is None:
        return GateResult(
            gate,
            True,
            value,
            None,
            f"{gate.metric} = {value:g}; no live version in {gate.reference!r} to compare with: passes",
        )
    ref_value = metric_value(reference.metrics, gate.metric)
    if ref_value is None:
        return GateResult(
            gate,
            True,
            value,
            None,
            f"{gate.metric} = {value:g}; {reference.label} has no {gate.metric} to compare with: passes",
        )
    bar = ref_value + gate.margin
    passed = compare(value, bar)
    margin = f" {'+' if gate.margin > 0 else '-'} {abs(gate.margin):g}" if gate.margin else ""
    return GateResult(
        gate,
        passed,
        value,
        bar,
        f"{gate.metric} = {value:g}, needs {gate.op} {bar:g} ({reference.label}: {ref_value:g}{margin})",
    )


def evaluate_gates(
    gates: tuple[Gate, ...],
    metrics: Mapping[str, Any],
    live: Callable[[str], LiveMetrics | None],
) -> list[GateResult]:
    return [evaluate_gate(gate, metrics, live) for gate in gates]
