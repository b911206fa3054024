"""Semver bumps computed from provenance: signature -> major, data/params -> minor, else patch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from registry_support import SIGNATURE, provenance

from lakeline import Project
from lakeline.errors import InvalidInputError
from lakeline.registry.bump import compute_bump, upstream

BASE = {"params": {"train.lr": 0.1, "evaluate.threshold": 0.5}, "metrics": {"accuracy": 0.9}}


def test_signature_change_is_a_major_bump() -> None:
    wider = {**SIGNATURE, "inputs": [*SIGNATURE["inputs"], {"name": "f2", "dtype": "float64"}]}
    decision = compute_bump(provenance(**BASE, signature=wider), provenance(**BASE), "classifier")
    assert decision.part == "major"
    assert "signature of classifier changed" in decision.reason


def test_output_classes_change_is_a_major_bump() -> None:
    three = {**SIGNATURE, "outputs": {"classes": [0, 1, 2]}}
    assert compute_bump(provenance(**BASE, signature=three), provenance(**BASE), "classifier").part == "major"


def test_upstream_param_change_is_a_minor_bump_naming_the_param() -> None:
    changed = {**BASE, "params": {**BASE["params"], "train.lr": 0.2}}
    decision = compute_bump(provenance(**changed), provenance(**BASE), "classifier")
    assert decision.part == "minor"
    assert "params.yaml:train.lr" in decision.reason


def test_upstream_data_change_is_a_minor_bump_even_two_stages_up() -> None:
    decision = compute_bump(provenance(**BASE, data_hash="f" * 32), provenance(**BASE), "classifier")
    assert decision.part == "minor"
    assert "data/raw.csv" in decision.reason


def test_downstream_only_change_is_a_patch() -> None:
    # evaluate.threshold feeds the evaluation, not the model; new metrics do not change the model.
    later = {"params": {**BASE["params"], "evaluate.threshold": 0.7}, "metrics": {"accuracy": 0.8}}
    decision = compute_bump(provenance(**later, eval_hash="0" * 32), provenance(**BASE), "classifier")
    assert decision.part == "patch"


def test_upstream_closure_follows_directory_outputs_and_stops_at_params() -> None:
    sources = upstream(provenance(**BASE), "classifier")
    paths = {path for _, path, _ in sources}
    assert {"data/raw.csv", "data/prepared", "scripts/train.py", "params.yaml:train.lr"} <= paths
    assert "params.yaml:evaluate.threshold" not in paths
    assert "models/model.pkl" not in paths


def test_promotions_number_versions_from_the_computed_bump(
    project: Project, experiment: Callable[..., str]
) -> None:
    experiment("a")
    first = project.promote("a")
    assert (first.version, first.bump) == ("v1.0.0", "initial")

    experiment("b", params={"train.lr": 0.3}, source="main")
    second = project.promote("b")
    assert (second.version, second.bump, second.previous_version) == ("v1.1.0", "minor", "v1.0.0")

    wider = {**SIGNATURE, "inputs": [*SIGNATURE["inputs"], {"name": "f9", "dtype": "int64"}]}
    experiment("c", params={"train.lr": 0.3}, signature=wider, source="main")
    third = project.promote("c")
    assert (third.version, third.bump) == ("v2.0.0", "major")
    assert project.repo.get_tag("classifier-v2.0.0").commit_id == third.commit_id

    experiment("d", params={"train.lr": 0.3}, signature=wider, source="main", files={"README.md": b"docs"})
    fourth = project.promote("d")
    assert (fourth.version, fourth.bump) == ("v2.0.1", "patch")


def test_bump_flag_overrides_and_version_flag_sets_the_number(
    project: Project, experiment: Callable[..., str]
) -> None:
    experiment("a")
    assert project.promote("a", version="v0.3.0").version == "v0.3.0"
    experiment("b", params={"train.lr": 0.5}, source="main")
    forced = project.promote("b", bump="major")
    assert (forced.version, forced.bump) == ("v1.0.0", "forced")
    experiment("c", params={"train.lr": 0.6}, source="main")
    with pytest.raises(InvalidInputError, match=r"not above the latest version v1\.0\.0"):
        project.promote("c", version="v0.9.0")
    with pytest.raises(InvalidInputError, match="invalid bump 'huge'"):
        project.promote("c", bump="huge")
