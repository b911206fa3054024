"""Deployments: traffic splits, resolve (deterministic, proportional), rollback, retire, aliases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeline import Project
from lakeline.errors import DirtyBranchError, InvalidInputError, NoChangesError, NotFoundError, RegistryError
from lakeline.names import PROVENANCE_PATH, Version
from lakeline.registry.deploy import bucket, pick_slot, plan_deploy
from lakeline.registry.state import Slot

V1, V2, V3 = Version(1, 0, 0), Version(1, 1, 0), Version(1, 2, 0)


def test_canary_keeps_the_live_version_at_the_remainder() -> None:
    mode, split = plan_deploy((Slot(V1, 100.0),), V2, 10, shadow=False)
    assert mode == "canary"
    assert split == (Slot(V1, 90.0), Slot(V2, 10.0))


def test_canary_over_a_split_shares_the_remainder_in_proportion() -> None:
    _, split = plan_deploy((Slot(V1, 60.0), Slot(V2, 40.0)), V3, 20, shadow=False)
    assert split == (Slot(V1, 48.0), Slot(V2, 32.0), Slot(V3, 20.0))
    assert sum(s.traffic for s in split) == 100


def test_growing_a_canary_replaces_its_share_instead_of_adding_one() -> None:
    _, split = plan_deploy((Slot(V1, 90.0), Slot(V2, 10.0)), V2, 50, shadow=False)
    assert split == (Slot(V1, 50.0), Slot(V2, 50.0))


def test_full_traffic_is_blue_green_over_a_live_version_and_full_on_an_empty_env() -> None:
    assert plan_deploy((Slot(V1, 100.0),), V2, 100, shadow=False) == ("blue-green", (Slot(V2, 100.0),))
    assert plan_deploy((), V1, None, shadow=False) == ("full", (Slot(V1, 100.0),))


def test_shadow_serves_nothing_and_keeps_the_live_split() -> None:
    mode, split = plan_deploy((Slot(V1, 100.0),), V2, None, shadow=True)
    assert mode == "shadow"
    assert split == (Slot(V1, 100.0), Slot(V2, 0.0, True))
    _, switched = plan_deploy(split, V3, 100, shadow=False)
    assert switched == (Slot(V3, 100.0), Slot(V2, 0.0, True))


def test_canary_on_an_empty_environment_is_refused() -> None:
    with pytest.raises(RegistryError, match="needs a live version to serve the other 90%"):
        plan_deploy((), V1, 10, shadow=False)


@pytest.mark.parametrize("traffic", [0, -5, 100.5])
def test_traffic_outside_the_percent_range_is_refused(traffic: float) -> None:
    with pytest.raises(InvalidInputError, match="traffic must be more than 0 and at most 100"):
        plan_deploy((Slot(V1, 100.0),), V2, traffic, shadow=False)


def test_resolve_buckets_are_deterministic_and_split_traffic_in_proportion() -> None:
    split = (Slot(V1, 90.0), Slot(V2, 10.0))
    assert bucket("classifier", "production", "user-42") == bucket("classifier", "production", "user-42")
    counts = Counter(
        pick_slot(split, bucket("classifier", "production", f"user-{i}")).version for i in range(20000)
    )
    assert counts[V2] / 20000 == pytest.approx(0.10, abs=0.01)
    assert counts[V1] / 20000 == pytest.approx(0.90, abs=0.01)


def test_growing_a_canary_keeps_every_canary_key_on_the_canary() -> None:
    at10 = (Slot(V1, 90.0), Slot(V2, 10.0))
    at50 = plan_deploy(at10, V2, 50, shadow=False)[1]
    keys = [f"k{i}" for i in range(5000)]
    on_canary = [k for k in keys if pick_slot(at10, bucket("m", "prod", k)).version == V2]
    assert on_canary
    assert all(pick_slot(at50, bucket("m", "prod", k)).version == V2 for k in on_canary)


@pytest.fixture
def two_versions(project: Project, experiment: Callable[..., str]) -> Project:
    experiment("a")
    project.promote("a")
    experiment("b", params={"train.lr": 0.2})
    project.promote("b")
    return project


def test_resolve_through_the_api_gives_version_path_and_ref_per_key(two_versions: Project) -> None:
    project = two_versions
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production", traffic=25)
    seen = Counter()
    for i in range(2000):
        first = project.resolve("classifier", env="production", key=f"user-{i}")
        assert project.resolve("classifier", env="production", key=f"user-{i}") == first
        seen[first.version] += 1
        assert first.ref == f"classifier-{first.version}"
        assert first.path == "models/model.pkl"
        assert project.repo.get_tag(first.ref).commit_id == first.commit_id
    assert seen["v1.1.0"] / 2000 == pytest.approx(0.25, abs=0.04)
    unkeyed = project.resolve("classifier", env="production")
    assert (unkeyed.version, unkeyed.traffic, unkeyed.source) == ("v1.0.0", 75, "deployment")


def test_resolve_falls_back_to_an_alias_and_explains_when_nothing_is_there(two_versions: Project) -> None:
    project = two_versions
    project.alias_set("classifier", "staging", "v1.1.0")
    resolved = project.resolve("classifier", env="staging")
    assert (resolved.version, resolved.source) == ("v1.1.0", "alias")
    with pytest.raises(
        NotFoundError, match=r"no live version in 'qa'.*lakeline deploy classifier VERSION --env qa"
    ):
        project.resolve("classifier", env="qa")


def test_deployments_show_the_split_per_model_and_environment(two_versions: Project) -> None:
    project = two_versions
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production", traffic=10, message="canary")
    project.deploy("classifier", "v1.1.0", env="staging", shadow=True)
    rows = {(r["env"], r["version"]): r for r in project.deployments("classifier")}
    assert rows[("production", "v1.0.0")]["traffic"] == 90 and rows[("production", "v1.0.0")]["live"]
    assert rows[("production", "v1.1.0")]["traffic"] == 10 and not rows[("production", "v1.1.0")]["live"]
    assert rows[("staging", "v1.1.0")]["shadow"] and rows[("staging", "v1.1.0")]["traffic"] == 0


def test_rollback_after_a_canary_or_a_switch_returns_to_the_previous_live_version(
    two_versions: Project,
) -> None:
    project = two_versions
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production", traffic=10)
    result = project.rollback("classifier", message="canary errors")
    assert (result.from_version, result.to_version) == ("v1.1.0", "v1.0.0")
    assert result.event.details["state"] == [{"version": "v1.0.0", "traffic": 100, "shadow": False}]

    project.deploy("classifier", "v1.1.0", env="production", traffic=10)
    project.deploy("classifier", "v1.1.0", env="production", traffic=100)
    again = project.rollback("classifier", env="production")
    assert (again.from_version, again.to_version) == ("v1.1.0", "v1.0.0")
    assert project.resolve("classifier", env="production", key="anyone").version == "v1.0.0"
    with pytest.raises(NoChangesError, match="already serves all of production"):
        project.rollback("classifier", to="v1.0.0")


def test_rollback_to_a_given_version_and_without_history_explains(two_versions: Project) -> None:
    project = two_versions
    project.deploy("classifier", "v1.1.0", env="production")
    with pytest.raises(RegistryError, match=r"no version served here before v1\.1\.0: name one with --to"):
        project.rollback("classifier")
    result = project.rollback("classifier", to="v1.0.0")
    assert (result.from_version, result.to_version) == ("v1.1.0", "v1.0.0")


def test_rollback_moves_the_alias_named_after_the_environment_too(two_versions: Project) -> None:
    project = two_versions
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production")
    project.alias_set("classifier", "production", "v1.1.0")
    result = project.rollback("classifier")
    assert result.alias_event is not None
    current = {r["alias"]: r["version"] for r in project.alias_list("classifier")}
    assert current["production"] == "v1.0.0"


def test_rollback_of_an_alias_without_deployments_moves_it_back(two_versions: Project) -> None:
    project = two_versions
    project.alias_set("classifier", "production", "v1.0.0")
    project.alias_set("classifier", "production", "v1.1.0")
    result = project.rollback("classifier")
    assert (result.from_version, result.to_version) == ("v1.1.0", "v1.0.0")
    history = project.alias_list("classifier", history=True)
    assert [h["version"] for h in history] == ["v1.0.0", "v1.1.0", "v1.0.0"]
    assert history[-1]["previous_version"] == "v1.1.0"


def test_rollback_restore_main_commits_the_old_versions_tree_and_provenance(two_versions: Project) -> None:
    project = two_versions
    repo = project.repo
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production")
    main_before = repo.get_branch("main").commit_id
    result = project.rollback("classifier", restore_main=True)
    assert result.restored_commit is not None
    restored = repo.get_commit("main")
    assert restored.id == result.restored_commit and restored.parents == (main_before,)
    assert list(repo.diff("main", "classifier-v1.0.0", diff_type="two_dot")) == []
    assert repo.get_object("main", PROVENANCE_PATH) == repo.get_object("classifier-v1.0.0", PROVENANCE_PATH)
    assert restored.metadata["lakeline.kind"] == "pipeline"
    assert restored.metadata["lakeline.restored_from"] == "classifier-v1.0.0"
    assert result.event.details["restored_commit"] == restored.id


def test_restore_main_refuses_a_dirty_main_and_records_nothing(two_versions: Project) -> None:
    project = two_versions
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production")
    project.repo.put_object("main", "notes.txt", b"wip")
    with pytest.raises(DirtyBranchError, match="uncommitted changes"):
        project.rollback("classifier", restore_main=True)
    assert project.resolve("classifier", env="production").version == "v1.1.0"


def test_retired_version_cannot_be_deployed_or_aliased_and_keeps_its_history(two_versions: Project) -> None:
    project = two_versions
    project.alias_set("classifier", "champion", "v1.0.0")
    project.retire("classifier", "v1.0.0", message="data deletion request")
    with pytest.raises(RegistryError, match=r"classifier@v1\.0\.0 is retired .*cannot be deployed"):
        project.deploy("classifier", "v1.0.0", env="production")
    with pytest.raises(RegistryError, match=r"classifier@v1\.0\.0 is retired .*cannot be given an alias"):
        project.alias_set("classifier", "staging", "v1.0.0")
    with pytest.raises(RegistryError, match="already retired"):
        project.retire("classifier", "v1.0.0")
    with pytest.raises(RegistryError, match=r"is retired .*cannot be served through alias 'champion'"):
        project.resolve("classifier", env="champion")
    rows = {r["version"]: r for r in project.versions("classifier")}
    assert rows["v1.0.0"]["status"] == "retired" and rows["v1.1.0"]["status"] == "active"
    assert project.show("classifier@v1.0.0")["aliases"] == ["champion"]


def test_retiring_a_deployed_version_is_refused_naming_where_it_runs(two_versions: Project) -> None:
    project = two_versions
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production", traffic=10)
    with pytest.raises(RegistryError, match=r"deployed in production \(10%\)"):
        project.retire("classifier", "v1.1.0")


def test_rollback_never_returns_to_a_retired_version(two_versions: Project) -> None:
    project = two_versions
    project.deploy("classifier", "v1.0.0", env="production")
    project.deploy("classifier", "v1.1.0", env="production")
    project.retire("classifier", "v1.0.0")
    with pytest.raises(RegistryError, match=r"is retired .*cannot be rolled back to"):
        project.rollback("classifier")


def test_unknown_versions_and_bad_environment_names_are_clear_errors(two_versions: Project) -> None:
    project = two_versions
    with pytest.raises(NotFoundError, match=r"classifier@v9\.0\.0 is not a registered version"):
        project.deploy("classifier", "v9.0.0", env="production")
    with pytest.raises(InvalidInputError, match="invalid environment 'Prod/EU'"):
        project.deploy("classifier", "v1.0.0", env="Prod/EU")
    with pytest.raises(InvalidInputError, match="invalid version"):
        project.deploy("classifier", "latest", env="production")


@settings(max_examples=200, deadline=None)
@given(
    shares=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=4),
    traffic=st.floats(min_value=0.005, max_value=100, allow_nan=False),
)
def test_any_deploy_leaves_a_split_of_exactly_100_with_the_requested_share(
    shares: list[int], traffic: float
) -> None:
    total = sum(shares)
    live = tuple(Slot(Version(1, i, 0), 100.0 * s / total) for i, s in enumerate(shares))
    new = Version(2, 0, 0)
    _, split = plan_deploy(live, new, traffic, shadow=False)
    assert sum(round(s.traffic * 100) for s in split) == 10000  # exactly 100%, in 0.01% units
    assert all(s.traffic > 0 for s in split)
    assert [s.version for s in split if s.version == new] == [new]
    assert next(s.traffic for s in split if s.version == new) == round(traffic, 2)
    assert split[-1].version == new  # the newest slot is last: growing it keeps keys in place
