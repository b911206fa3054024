"""The registry's CLI: thin commands over Project, JSON on request, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli_runner import Result

Cli = Callable[..., Result]


def test_promote_deploy_resolve_rollback_through_the_cli(cli: Cli, experiment: Callable[..., str]) -> None:
    experiment("a")
    promoted = cli("promote", "exp-a", "-m", "first", "--json").json()
    assert (promoted["version"], promoted["tag"], promoted["bump"]) == (
        "v1.0.0",
        "classifier-v1.0.0",
        "initial",
    )
    assert (
        cli("deploy", "classifier", "v1.0.0", "--env", "production", "--json").json()["event"]["details"][
            "mode"
        ]
        == "full"
    )
    experiment("b", params={"train.lr": 0.2})
    text = cli("promote", "b")
    assert text.code == 0 and "promoted exp-b as classifier@v1.1.0 (minor" in text.stdout
    canary = cli("deploy", "classifier", "v1.1.0", "--env", "production", "--traffic", "10")
    assert "production (canary): v1.0.0 90%, v1.1.0 10%" in canary.stdout

    rows = cli("deployments", "classifier", "--json").json()
    assert {(r["version"], r["traffic"]) for r in rows} == {("v1.0.0", 90), ("v1.1.0", 10)}
    first = cli("resolve", "classifier", "--env", "production", "--key", "user-1", "--json").json()
    assert first == cli("resolve", "classifier", "--env", "production", "--key", "user-1", "--json").json()
    assert first["path"] == "models/model.pkl" and first["ref"] == f"classifier-{first['version']}"

    back = cli("rollback", "classifier", "--json").json()
    assert (back["from_version"], back["to_version"]) == ("v1.1.0", "v1.0.0")
    versions = cli("versions", "classifier", "--json").json()
    assert [v["version"] for v in versions] == ["v1.1.0", "v1.0.0"]
    assert cli("show", "classifier@v1.0.0", "--json").json()["deployments"] == {"production": "100%"}


def test_alias_commands_keep_history(cli: Cli, experiment: Callable[..., str]) -> None:
    experiment("a")
    cli("promote", "a")
    experiment("b", params={"train.lr": 0.2})
    cli("promote", "b")
    assert cli("alias", "set", "classifier", "champion", "v1.0.0").code == 0
    moved = cli("alias", "set", "classifier", "champion", "v1.1.0", "-m", "better")
    assert "champion -> v1.1.0 (was v1.0.0)" in moved.stdout
    current = cli("alias", "list", "--json").json()
    assert [(a["alias"], a["version"]) for a in current] == [("champion", "v1.1.0")]
    history = cli("alias", "list", "classifier", "--history", "--json").json()
    assert [(h["version"], h["previous_version"]) for h in history] == [
        ("v1.0.0", None),
        ("v1.1.0", "v1.0.0"),
    ]
    models = cli("models", "--json").json()
    assert models[0]["aliases"] == {"champion": "v1.1.0"} and models[0]["latest"] == "v1.1.0"


def test_compare_and_exp_compare_show_params_metrics_and_data(
    cli: Cli, experiment: Callable[..., str]
) -> None:
    experiment("a", metrics={"accuracy": 0.9, "recall": 0.8})
    cli("promote", "a")
    experiment("b", params={"train.lr": 0.2}, metrics={"accuracy": 0.95, "recall": 0.8})
    rows = cli("compare", "classifier@v1.0.0", "exp-b", "--json").json()
    by_key = {(r["kind"], r["key"]): r for r in rows}
    assert by_key[("param", "train.lr")]["classifier@v1.0.0"] == 0.1
    assert by_key[("param", "train.lr")]["exp-b"] == 0.2
    assert by_key[("metric", "accuracy")]["change"] == "+0.05"
    assert by_key[("metric", "recall")]["change"] == ""
    assert by_key[("data", "models/model.pkl")]["change"] == "changed"
    assert not any(r["key"].startswith("_lakeline/") for r in rows)
    table = cli("exp", "compare", "--json").json()
    assert [r["experiment"] for r in table] == ["main", "exp-a", "exp-b"]
    assert [r["accuracy"] for r in table] == [0.9, 0.9, 0.95]


def test_registry_errors_are_one_line_without_traceback(
    cli: Cli, experiment: Callable[..., str], policy: Callable[[str], Path]
) -> None:
    experiment("a", metrics={"accuracy": 0.7, "recall": 0.7})
    policy("models:\n  classifier:\n    gates: ['accuracy >= 0.9']\n")
    assert "accuracy = 0.7, needs >= 0.9" in cli("promote", "a").error_line()
    policy("models:\n  classifier:\n    gates: ['accuracy >>= 0.9']\n")
    line = cli("promote", "a").error_line()
    assert "lakeline.yaml: models.classifier.gates[0]: 'accuracy >>= 0.9' is not a gate" in line
    policy("")
    cli("promote", "a")
    cli("retire", "classifier", "v1.0.0")
    assert "is retired" in cli("deploy", "classifier", "v1.0.0", "--env", "production").error_line()
    assert "invalid version 'latest'" in cli("deploy", "classifier", "latest", "--env", "prod").error_line()
    assert "no experiment 'zzz'" in cli("promote", "zzz").error_line()
    assert "not deployed anywhere" in cli("rollback", "classifier").error_line()
    assert cli("deploy", "classifier", "v1.0.0").code != 0  # --env is required
