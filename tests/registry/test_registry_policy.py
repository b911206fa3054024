"""The policy file: parsing, one-line errors naming file and entry, and who may act."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lakeline import Project
from lakeline.errors import ConfigError, PermissionDeniedError
from lakeline.names import REGISTRY_BRANCH
from lakeline.registry.policy import load_policy, parse_policy

EXAMPLE = """
models:
  classifier:
    gates:
      - accuracy >= 0.9
      - recall >= production
    approvals: 1
    promoters: [alice@example.com, bob@example.com]
    deployers: [ops@example.com]
    retirers: []
"""


def test_policy_file_parses_gates_approvals_and_user_lists() -> None:
    policy = parse_policy(EXAMPLE)
    model = policy.for_model("classifier")
    assert [g.text for g in model.gates] == ["accuracy >= 0.9", "recall >= production"]
    assert model.approvals == 1
    assert model.promoters == ("alice@example.com", "bob@example.com")
    assert model.deployers == ("ops@example.com",)
    assert model.retirers == ()


def test_missing_file_or_model_means_no_gates_and_anyone_may_act(tmp_path: Path) -> None:
    policy = load_policy(tmp_path)
    assert policy.for_model("classifier").gates == ()
    policy.check_allowed("promote", "classifier", "anyone@example.com")
    parse_policy(EXAMPLE).check_allowed("deploy", "other-model", "anyone@example.com")


def test_denied_action_names_the_user_the_model_and_who_is_allowed() -> None:
    policy = parse_policy(EXAMPLE, source="/p/lakeline.yaml")
    policy.check_allowed("promote", "classifier", "bob@example.com")
    with pytest.raises(PermissionDeniedError) as err:
        policy.check_allowed("promote", "classifier", "mallory@example.com")
    message = str(err.value)
    assert "mallory@example.com may not promote classifier" in message
    assert "models.classifier.promoters allows alice@example.com, bob@example.com" in message
    with pytest.raises(PermissionDeniedError, match="retirers allows nobody"):
        policy.check_allowed("retire", "classifier", "alice@example.com")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "models:\n  classifier:\n    gates:\n      - accuracy >= 0.9\n      - recall >== production\n",
            "models.classifier.gates[1]: 'recall >== production' is not a gate",
        ),
        ("models:\n  classifier:\n    gates: accuracy >= 0.9\n", "models.classifier.gates must be a list"),
        ("models:\n  classifier:\n    approvals: -1\n", "models.classifier.approvals must be a whole number"),
        ("models:\n  classifier:\n    promoters: alice\n", "models.classifier.promoters must be a list"),
        ("models:\n  classifier:\n    promoter: [alice]\n", "models.classifier: unknown key 'promoter'"),
        ("model:\n  classifier: {}\n", "unknown top-level key 'model'"),
        ("models:\n  Bad_Name: {}\n", "models.Bad_Name: invalid model name"),
        ("models: [classifier]\n", "'models' must map model names"),
        ("models:\n  classifier:\n    gates: [accuracy >= 0.9\n", "is not valid YAML (line"),
    ],
)
def test_bad_policy_is_one_line_naming_the_file_and_the_entry(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_policy(text, source="/proj/lakeline.yaml")
    message = str(err.value)
    assert message.startswith("/proj/lakeline.yaml")
    assert expected in message
    assert "\n" not in message


def test_policy_denies_promote_deploy_and_retire_through_the_api_and_writes_nothing(
    project: Project,
    experiment: Callable[..., str],
    policy: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    experiment("a")
    project.promote("exp-a")
    policy(
        "models:\n  classifier:\n    promoters: [alice@example.com]\n"
        "    deployers: [ops@example.com]\n    retirers: [ops@example.com]\n"
    )
    experiment("b", params={"train.lr": 0.2})
    main_before = project.repo.get_branch("main").commit_id
    registry_before = project.repo.get_branch(REGISTRY_BRANCH).commit_id

    monkeypatch.setenv("LAKELINE_USER", "mallory@example.com")
    intruder = Project.open(project.root)
    with pytest.raises(PermissionDeniedError, match=r"mallory@example\.com may not promote classifier"):
        intruder.promote("exp-b")
    with pytest.raises(PermissionDeniedError, match="may not deploy classifier"):
        intruder.deploy("classifier", "v1.0.0", env="production")
    with pytest.raises(PermissionDeniedError, match="may not retire classifier"):
        intruder.retire("classifier", "v1.0.0")
    assert project.repo.get_branch("main").commit_id == main_before
    assert project.repo.get_branch(REGISTRY_BRANCH).commit_id == registry_before

    monkeypatch.setenv("LAKELINE_USER", "ops@example.com")
    ops = Project.open(project.root)
    event = ops.deploy("classifier", "v1.0.0", env="production")
    assert event.user == "ops@example.com"


def test_the_example_policy_at_the_repository_root_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    model = load_policy(root).for_model("classifier")
    assert any(g.reference == "production" for g in model.gates)
    assert model.approvals >= 1
