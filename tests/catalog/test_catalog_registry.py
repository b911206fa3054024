"""The catalog against the real registry: promotions, aliases, deploys, a rollback and a
retirement made through `Project` are in the catalog right after each write (after_write
syncs), and the derived tables agree with the registry's own event fold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from catalog_support import RAW, md5, pipeline_commit

from lakeline import Project


@pytest.fixture(scope="module")
def registry_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """Built once for the module (the tests only read it): three promotions, two alias moves,
    three deploys, a rollback and a retirement, all through `Project`."""
    root = tmp_path_factory.mktemp("registry") / "proj"
    root.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LAKELINE_USER", "alice@example.com")
        env.setenv("HOME", str(root.parent / "home"))
        env.delenv("LAKELINE_PROJECT", raising=False)
        Project.init(root).close()
        with Project.open(root) as project:
            repo = project.repo
            pipeline_commit(repo, "main", raw=b"a\n", lr=0.1)
            for name, raw, lr in (("exp-a", b"a\n", 0.2), ("exp-b", b"b\n", 0.3), ("exp-c", b"c\n", 0.4)):
                repo.create_branch(name, "main")
                pipeline_commit(repo, name, raw=raw, lr=lr)
                project.promote(name, message=f"promote {name}")
            project.alias_set("classifier", "production", "v1.0.0")
            project.alias_set("classifier", "production", "v1.1.0", message="better recall")
            project.deploy("classifier", "v1.0.0", env="prod", traffic=100)
            project.deploy("classifier", "v1.1.0", env="prod", traffic=10)
            project.deploy("classifier", "v1.1.0", env="dev", shadow=True)
            project.rollback("classifier", env="prod")
            project.retire("classifier", "v1.2.0")
            yield project


def test_registry_writes_are_in_the_catalog_without_an_explicit_sync(registry_history: Project) -> None:
    rows = registry_history.sql("select type, version from events order by time", sync=False).records
    assert [r[0] for r in rows] == [
        "promote",
        "promote",
        "promote",
        "alias",
        "alias",
        "deploy",
        "deploy",
        "deploy",
        "rollback",
        "retire",
    ]


def test_model_versions_agree_with_the_registry(registry_history: Project) -> None:
    registry = {v["version"]: v for v in registry_history.versions("classifier")}
    catalog = registry_history.sql(
        "select version, status, commit_id, bump, source_branch, metrics['accuracy'] as accuracy "
        "from model_versions where model = 'classifier'",
        sync=False,
    ).rows
    assert {r["version"] for r in catalog} == set(registry) == {"v1.0.0", "v1.1.0", "v1.2.0"}
    for row in catalog:
        theirs = registry[row["version"]]
        assert row["status"] == theirs["status"]
        assert row["commit_id"].startswith(theirs["commit"])
        assert (row["bump"], row["source_branch"]) == (theirs["bump"], theirs["source"])
        assert row["accuracy"] == theirs["metrics"]["accuracy"]


def test_aliases_and_deployments_agree_with_the_registry(registry_history: Project) -> None:
    aliases = registry_history.sql("select model, alias, version from aliases", sync=False).rows
    assert aliases == [
        {k: a[k] for k in ("model", "alias", "version")} for a in registry_history.alias_list("classifier")
    ]
    catalog = registry_history.sql(
        "select env, version, traffic, shadow from deployments order by env, version", sync=False
    ).records
    theirs = sorted(
        (d["env"], d["version"], float(d["traffic"]), d["shadow"])
        for d in registry_history.deployments("classifier")
    )
    assert list(catalog) == theirs == [("dev", "v1.1.0", 0.0, True), ("prod", "v1.0.0", 100.0, False)]


def test_lineage_and_impact_of_promoted_versions(registry_history: Project) -> None:
    graph = registry_history.lineage("classifier@v1.1.0")
    assert (RAW, md5(b"b\n"), "file") in graph.sources
    report = registry_history.impact(f"{RAW}@classifier-v1.0.0")
    assert [v.version for v in report.model_versions] == ["v1.0.0"]
