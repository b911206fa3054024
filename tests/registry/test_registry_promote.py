"""Promotion: gates refuse with the metric named, merges and tags on success, writes nothing on failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lakeline import Project
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
from lakeline.names import REGISTRY_BRANCH


def heads(project: Project) -> tuple[str, str | None, list[str]]:
    repo = project.repo
    try:
        registry: str | None = repo.get_branch(REGISTRY_BRANCH).commit_id
    except NotFoundError:
        registry = None
    return repo.get_branch("main").commit_id, registry, [t.name for t in repo.list_tags()]


def test_promote_merges_into_main_and_tags_the_merge_commit(
    project: Project, experiment: Callable[..., str]
) -> None:
    repo = project.repo
    main_before = repo.get_branch("main").commit_id
    head = experiment("a")
    result = project.promote("exp-a", message="first")
    merge = repo.get_commit("main")
    assert merge.id == result.commit_id
    assert merge.parents == (main_before, head)
    assert merge.metadata["lakeline.version"] == "v1.0.0"
    assert repo.get_tag("classifier-v1.0.0").commit_id == merge.id
    assert repo.get_object("main", "models/model.pkl") == repo.get_object(head, "models/model.pkl")
    assert (result.source_branch, result.source_commit) == ("exp-a", head)


def test_failed_gate_names_metric_value_and_bar_and_merges_nothing(
    project: Project, experiment: Callable[..., str], policy: Callable[[str], Path]
) -> None:
    policy("models:\n  classifier:\n    gates:\n      - accuracy >= 0.9\n      - recall >= 0.5\n")
    experiment("weak", metrics={"accuracy": 0.85, "recall": 0.7})
    before = heads(project)
    with pytest.raises(GateFailedError) as err:
        project.promote("weak")
    message = str(err.value)
    assert message.startswith("promotion of exp-weak (classifier) refused")
    assert "accuracy = 0.85, needs >= 0.9" in message
    assert "recall" not in message  # only the failed gate is reported
    assert err.value.failures == ("accuracy = 0.85, needs >= 0.9",)
    assert heads(project) == before


def test_regression_gate_compares_with_the_version_live_in_production(
    project: Project, experiment: Callable[..., str], policy: Callable[[str], Path]
) -> None:
    policy("models:\n  classifier:\n    gates: ['recall >= production']\n")
    experiment("a", metrics={"accuracy": 0.9, "recall": 0.9})
    first = project.promote("a")
    assert "no live version in 'production'" in first.gates[0].detail and first.gates[0].passed
    project.deploy("classifier", "v1.0.0", env="production")
    experiment("worse", params={"train.lr": 0.5}, metrics={"accuracy": 0.95, "recall": 0.8})
    with pytest.raises(
        GateFailedError, match=r"recall = 0\.8, needs >= 0\.9 \(classifier@v1\.0\.0 \(live in production\)"
    ):
        project.promote("worse")
    experiment("better", params={"train.lr": 0.2}, metrics={"accuracy": 0.95, "recall": 0.93})
    assert project.promote("better").version == "v1.1.0"


def test_merge_conflict_names_the_paths_and_promotes_nothing(
    project: Project, experiment: Callable[..., str]
) -> None:
    experiment("a", params={"train.lr": 0.1})
    experiment("b", params={"train.lr": 0.2})  # branched from the same main: same paths, other bytes
    project.promote("a")
    before = heads(project)
    with pytest.raises(MergeConflictError) as err:
        project.promote("b")
    assert "nothing was merged" in str(err.value)
    assert "models/model.pkl" in err.value.paths
    assert heads(project) == before
    assert [r["version"] for r in project.versions("classifier")] == ["v1.0.0"]
    resolved = project.promote("b", strategy="source-wins")
    assert resolved.version == "v1.1.0"


def test_branch_with_several_models_needs_model_and_promotes_each_separately(
    project: Project, experiment: Callable[..., str]
) -> None:
    experiment("multi", models=("classifier", "ranker"))
    with pytest.raises(
        InvalidInputError, match=r"declares several models \(classifier, ranker\): pick one with --model"
    ):
        project.promote("multi")
    with pytest.raises(NotFoundError, match="declares no model 'scorer'"):
        project.promote("multi", model="scorer")
    assert project.promote("multi", model="ranker").tag == "ranker-v1.0.0"
    assert [m["model"] for m in project.models()] == ["classifier", "ranker"]


def test_promote_refuses_missing_provenance_dirty_branches_and_unknown_experiments(
    project: Project, experiment: Callable[..., str]
) -> None:
    repo = project.repo
    repo.create_branch("exp-raw", "main")
    repo.put_object("exp-raw", "x.txt", b"x")
    repo.commit("exp-raw", "no pipeline")
    with pytest.raises(RegistryError, match=r"has no provenance record .*lakeline commit"):
        project.promote("raw")
    experiment("a")
    repo.put_object("exp-a", "wip.txt", b"wip")
    with pytest.raises(DirtyBranchError, match="exp-a has uncommitted changes"):
        project.promote("a")
    with pytest.raises(NotFoundError, match="no experiment 'nope'"):
        project.promote("nope")
    with pytest.raises(InvalidInputError, match="into itself"):
        project.promote("main")


def test_promoting_an_already_merged_experiment_is_nothing_to_do(
    project: Project, experiment: Callable[..., str]
) -> None:
    experiment("a")
    project.promote("a")
    with pytest.raises(NoChangesError, match="nothing to merge"):
        project.promote("a")


@pytest.mark.parametrize("step", ["tag", "event"])
def test_a_promotion_interrupted_after_its_merge_is_finished_by_running_it_again(
    project: Project, experiment: Callable[..., str], monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    from lakeline.registry.context import RegistryContext

    experiment("a")

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # stands in for a kill right before this step

    with monkeypatch.context() as patched:
        if step == "tag":
            patched.setattr(project.repo, "create_tag", crash)
        else:
            patched.setattr(RegistryContext, "record", crash)
        with pytest.raises(KeyboardInterrupt):
            project.promote("a")
    assert project.repo.get_commit("main").metadata["lakeline.source_branch"] == "exp-a"
    result = project.promote("a")
    assert result.version == "v1.0.0"
    assert project.repo.get_tag("classifier-v1.0.0").commit_id == result.commit_id
    assert [r["version"] for r in project.versions("classifier")] == ["v1.0.0"]
    assert len(list(project.repo.log("main", first_parent=True))) == 2  # one merge, not two


def test_a_foreign_tag_with_the_next_version_name_is_not_overwritten(
    project: Project, experiment: Callable[..., str]
) -> None:
    project.repo.create_tag("classifier-v1.0.0", "main")
    experiment("a")
    with pytest.raises(AlreadyExistsError, match="pick another version with --version"):
        project.promote("a")
    assert project.promote("a", version="v1.0.1").version == "v1.0.1"
