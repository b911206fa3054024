"""Registry events: one commit each on lakeline-registry, in the documented format, never edited."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from lakeline import Project
from lakeline.errors import NoChangesError
from lakeline.names import REGISTRY_BRANCH
from lakeline.registry.events import CACHE_FILE, EVENTS_PREFIX, Event, EventLog

EVENT_PATH = re.compile(r"^_lakeline/events/\d{8}T\d{12}Z-[0-9a-f]{32}\.json$")
EVENT_KEYS = {"schema", "id", "type", "time", "user", "model", "version", "reason", "details"}


def registry_commits(project: Project) -> list[str]:
    return [c.id for c in project.repo.log(REGISTRY_BRANCH, first_parent=True)]


def test_every_action_is_one_commit_with_one_event_object_in_the_documented_format(
    project: Project, experiment: Callable[..., str]
) -> None:
    repo = project.repo
    experiment("a")
    project.approve("a", message="looks right")
    project.promote("a", message="first model")
    project.alias_set("classifier", "champion", "v1.0.0")
    project.deploy("classifier", "v1.0.0", env="production")
    experiment("b", params={"train.lr": 0.2})
    project.promote("b")
    project.deploy("classifier", "v1.1.0", env="production", traffic=10)
    project.rollback("classifier")
    project.retire("classifier", "v1.1.0", message="worse in production")

    events = project._registry().log.read()
    assert [e.type for e in events] == [
        "approve",
        "promote",
        "alias",
        "deploy",
        "promote",
        "deploy",
        "rollback",
        "retire",
    ]
    commits = list(repo.log(REGISTRY_BRANCH, first_parent=True))
    event_commits = [c for c in commits if c.metadata.get("lakeline.kind") == "event"]
    assert len(event_commits) == len(events)
    by_id = {c.metadata["lakeline.event_id"]: c for c in event_commits}
    for event in events:
        commit = by_id[event.id]
        assert commit.metadata["lakeline.event"] == event.type
        changes = list(repo.diff(commit.parents[0], commit.id, diff_type="two_dot"))
        assert [(c.type, c.path) for c in changes] == [("added", event.path)]
        assert EVENT_PATH.match(event.path)
        raw = json.loads(repo.get_object(commit.id, event.path))
        assert set(raw) == EVENT_KEYS
        assert raw["schema"] == "lakeline.event/1"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", raw["time"])
        assert raw["user"] == "alice@example.com"

    approve, promote, alias, deploy, _, canary, rollback, retire = events
    assert approve.version is None and set(approve.details) == {"branch", "commit_id"}
    assert set(promote.details) == {
        "source_branch",
        "source_commit",
        "commit_id",
        "tag",
        "bump",
        "previous_version",
        "metrics",
        "params",
    }
    assert promote.reason == "first model" and promote.details["tag"] == "classifier-v1.0.0"
    assert alias.details == {"alias": "champion", "previous_version": None}
    assert deploy.details == {
        "env": "production",
        "traffic": 100,
        "mode": "full",
        "state": [{"version": "v1.0.0", "traffic": 100, "shadow": False}],
    }
    assert canary.details["mode"] == "canary" and canary.details["traffic"] == 10
    assert set(rollback.details) == {"env", "from_version", "state", "restored_commit"}
    assert rollback.details["from_version"] == "v1.1.0" and rollback.version == "v1.0.0"
    assert retire.details == {} and retire.reason == "worse in production"


def test_registry_branch_starts_at_the_repositorys_first_commit(
    project: Project, experiment: Callable[..., str]
) -> None:
    repo = project.repo
    first = list(repo.log("main", first_parent=True))[-1]
    experiment("a")
    project.promote("a")
    root = list(repo.log(REGISTRY_BRANCH, first_parent=True))[-1]
    assert root.id == first.id
    assert not any(
        c.path == "models/model.pkl" for c in repo.diff(first.id, REGISTRY_BRANCH, diff_type="two_dot")
    )


def test_state_is_rebuilt_from_the_store_alone_without_cache_or_catalog(
    project: Project, experiment: Callable[..., str]
) -> None:
    experiment("a")
    project.promote("a")
    project.deploy("classifier", "v1.0.0", env="production")
    (project.state_dir / CACHE_FILE).unlink()
    catalog = project.state_dir / "catalog.duckdb"
    catalog.unlink(missing_ok=True)
    fresh = Project.open(project.root)
    assert fresh.resolve("classifier", env="production").version == "v1.0.0"
    assert [r["version"] for r in fresh.versions("classifier")] == ["v1.0.0"]


def test_a_cache_entry_that_disagrees_with_the_store_is_ignored(
    project: Project, experiment: Callable[..., str]
) -> None:
    experiment("a")
    project.promote("a")
    project.versions("classifier")  # reads the events, filling the cache
    cache_path = project.state_dir / CACHE_FILE
    cache = json.loads(cache_path.read_text())
    (entry,) = cache["events"].values()
    entry["event"]["version"] = "v9.9.9"
    entry["checksum"] = "forged"
    cache_path.write_text(json.dumps(cache))
    log = EventLog(project.repo, cache_dir=project.state_dir)
    assert [e.version for e in log.read()] == ["v1.0.0"]


def test_event_json_round_trips() -> None:
    event = Event.new(
        "deploy",
        user="u@example.com",
        model="classifier",
        version="v1.0.0",
        reason="why",
        details={"env": "production"},
    )
    assert Event.from_json(event.to_json()) == event
    assert event.path.startswith(EVENTS_PREFIX)


def test_approvals_count_per_distinct_user_for_the_current_head(
    project: Project,
    experiment: Callable[..., str],
    policy: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lakeline.errors import GateFailedError

    policy("models:\n  classifier:\n    approvals: 2\n")
    experiment("a")
    project.approve("a")
    with pytest.raises(NoChangesError, match="already approved"):
        project.approve("a")
    with pytest.raises(GateFailedError, match="approvals: 1 of 2"):
        project.promote("a")
    monkeypatch.setenv("LAKELINE_USER", "bob@example.com")
    bob = Project.open(project.root)
    bob.approve("exp-a", message="reviewed")
    # A new commit on the branch needs fresh approvals.
    experiment("a", params={"train.lr": 0.3})
    with pytest.raises(GateFailedError, match="approvals: 0 of 2"):
        bob.promote("a")
    bob.approve("a")
    monkeypatch.setenv("LAKELINE_USER", "alice@example.com")
    Project.open(project.root).approve("a")
    assert bob.promote("a").approvers == ("alice@example.com", "bob@example.com")


def test_concurrent_lakeline_processes_each_record_their_event(
    project: Project, experiment: Callable[..., str]
) -> None:
    import os
    import subprocess
    import sys

    experiment("a")
    project.promote("a")
    users = [f"user{i}@example.com" for i in range(4)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lakeline",
                "alias",
                "set",
                "classifier",
                f"team{i}",
                "v1.0.0",
                "-m",
                user,
            ],
            cwd=project.root,
            env={**os.environ, "LAKELINE_USER": user},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, user in enumerate(users)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    events = [e for e in EventLog(project.repo).read() if e.type == "alias"]
    assert sorted(e.user for e in events) == users
    assert all(e.reason == e.user for e in events)
    by_event = [
        c.metadata.get("lakeline.event_id") for c in project.repo.log(REGISTRY_BRANCH, first_parent=True)
    ]
    assert {e.id for e in events} <= set(by_event)  # each event has its own commit
