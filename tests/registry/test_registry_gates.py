"""Gate expressions: parsing every operator, refusing bad ones, and readable verdicts."""

from __future__ import annotations

import pytest

from lakeline.errors import InvalidInputError
from lakeline.registry.gates import Gate, LiveMetrics, evaluate_gate, parse_gate


def no_live(name: str) -> LiveMetrics | None:
    return None


@pytest.mark.parametrize(
    ("text", "op", "value", "expected"),
    [
        ("accuracy >= 0.9", ">=", 0.9, True),
        ("accuracy > 0.9", ">", 0.9, False),
        ("accuracy <= 0.9", "<=", 0.9, True),
        ("loss < 1e-2", "<", 0.01, False),
        ("accuracy == 0.9", "==", 0.9, True),
        ("accuracy != 0.9", "!=", 0.9, False),
    ],
)
def test_every_operator_parses_and_compares_the_metric_with_the_bar(
    text: str, op: str, value: float, expected: bool
) -> None:
    gate = parse_gate(text)
    assert (gate.op, gate.threshold, gate.reference) == (op, value, None)
    result = evaluate_gate(gate, {"accuracy": 0.9, "loss": 0.05}, no_live)
    assert result.passed is expected


def test_gate_parses_without_spaces_and_normalises_its_text() -> None:
    gate = parse_gate("  f1>=0.8 ")
    assert gate == Gate("f1>=0.8", "f1", ">=", threshold=0.8)


def test_reference_gate_names_the_environment_and_its_margin() -> None:
    gate = parse_gate("recall >= production - 0.01")
    assert (gate.metric, gate.op, gate.reference, gate.margin) == ("recall", ">=", "production", -0.01)
    assert parse_gate("recall >= production").margin == 0.0


@pytest.mark.parametrize(
    "text",
    ["accuracy", "accuracy >== 0.9", ">= 0.9", "accuracy >= ", "accuracy => 0.9", "accuracy >= Production"],
)
def test_bad_gate_expression_is_refused_with_the_expected_shape(text: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_gate(text)
    assert repr(text) in str(err.value)
    assert "METRIC OP" in str(err.value)


def test_failed_fixed_gate_says_metric_value_and_bar() -> None:
    result = evaluate_gate(parse_gate("accuracy >= 0.9"), {"accuracy": 0.85}, no_live)
    assert not result.passed
    assert (result.value, result.bar) == (0.85, 0.9)
    assert result.detail == "accuracy = 0.85, needs >= 0.9"


def test_missing_or_non_numeric_metric_fails_the_gate_and_says_so() -> None:
    missing = evaluate_gate(parse_gate("auc >= 0.5"), {"accuracy": 0.9}, no_live)
    assert not missing.passed and "auc is missing" in missing.detail
    text = evaluate_gate(parse_gate("auc >= 0.5"), {"auc": "high"}, no_live)
    assert not text.passed and "not a number" in text.detail


def test_regression_gate_compares_with_the_live_versions_metric() -> None:
    def live(name: str) -> LiveMetrics | None:
        assert name == "production"
        return LiveMetrics("classifier@v1.0.0 (live in production)", {"recall": 0.91})

    worse = evaluate_gate(parse_gate("recall >= production"), {"recall": 0.88}, live)
    assert not worse.passed
    assert worse.bar == 0.91
    assert "recall = 0.88, needs >= 0.91" in worse.detail
    assert "classifier@v1.0.0 (live in production)" in worse.detail
    assert evaluate_gate(parse_gate("recall >= production"), {"recall": 0.91}, live).passed
    tolerant = evaluate_gate(parse_gate("recall >= production - 0.05"), {"recall": 0.88}, live)
    assert tolerant.passed and tolerant.bar == pytest.approx(0.86)


def test_regression_gate_without_a_live_version_passes_and_says_so() -> None:
    result = evaluate_gate(parse_gate("recall >= production"), {"recall": 0.5}, no_live)
    assert result.passed
    assert "no live version in 'production'" in result.detail
    assert "passes" in result.detail
