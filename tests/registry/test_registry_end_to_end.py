"""The registry end to end on the example pipeline, on the embedded store and on lakeFS.

Real git, real `dvc repro` of the repository's own example (dvc.yaml, params.yaml, scripts/),
real pipeline commits with provenance. DVC runs once per parameter set for the whole module
(the example is seeded, so its outputs are the same bytes every run); each backend's project
starts from that workspace and restores a run's outputs before committing it.

Flow: a baseline goes live in production; two experiments follow; the worse one is refused by
a gate (naming the metric), the better one is promoted, deployed as a 10% canary, switched to
100%, then rolled back; one SQL query over `events` shows all of it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from lakeline import Project
from lakeline.errors import GateFailedError
from lakeline.names import REGISTRY_BRANCH

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = ("dvc.yaml", "params.yaml", "scripts/prepare.py", "scripts/train.py", "scripts/evaluate.py")
# What `dvc repro` produces or reads per run; restored into the workspace before each commit.
RUN_OUTPUTS = ("params.yaml", "dvc.lock", "data", "models", "metrics.json", "plots")
RUNS = {"baseline": 0.05, "strong": 1.0, "weak": 0.001}  # train.C of each run

POLICY = """\
models:
  classifier:
    gates:
      - accuracy >= 0.9
      - accuracy >= production
      - recall >= production - 0.01
    approvals: 1
    promoters: [alice@example.com]
    deployers: [alice@example.com, ops@example.com]
"""

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Alice",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
}


def _tools_env(home: Path) -> dict[str, str]:
    from lakeline.pipeline.repro import repro_environment

    return {
        **repro_environment(),
        **GIT_IDENTITY,
        "HOME": str(home),
        "MPLCONFIGDIR": str(home / "mpl"),
        "DVC_NO_ANALYTICS": "1",
    }


def _run(root: Path, env: dict[str, str], *argv: str) -> None:
    done = subprocess.run(list(argv), cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One workspace snapshot per parameter set, each after a real `dvc repro`."""
    base = tmp_path_factory.mktemp("example")
    env = _tools_env(base / "home")
    work = base / "work"
    for name in EXAMPLE_FILES:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, work / name)
    _run(work, env, "git", "init", "--quiet", "--initial-branch=main")
    _run(work, env, sys.executable, "-m", "dvc", "init", "--quiet")
    _run(work, env, sys.executable, "-m", "dvc", "config", "core.analytics", "false")
    _run(work, env, "git", "add", "-A")
    _run(work, env, "git", "commit", "--quiet", "-m", "example pipeline")
    snapshots = {}
    for run, c in RUNS.items():
        params = yaml.safe_load((work / "params.yaml").read_text())
        params["train"]["C"] = c
        (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        _run(work, env, sys.executable, "-m", "dvc", "repro", "--quiet")
        snapshots[run] = base / run
        shutil.copytree(work, snapshots[run], symlinks=True, ignore=shutil.ignore_patterns("tmp"))
    return snapshots


def restore(snapshot: Path, root: Path) -> None:
    """Put one run's outputs (and its params) into the workspace, as `dvc repro` left them."""
    for name in RUN_OUTPUTS:
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        source = snapshot / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    shutil.copytree(snapshot / ".dvc" / "cache", root / ".dvc" / "cache", dirs_exist_ok=True)


def _local(request: pytest.FixtureRequest, root: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    return Project.init(root)


def _lakefs(request: pytest.FixtureRequest, root: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    from tests.lakefs_server.fixtures import session_server

    server = session_server(request)
    monkeypatch.setenv("LAKELINE_LAKEFS_ACCESS_KEY_ID", server.access_key_id)
    monkeypatch.setenv("LAKELINE_LAKEFS_SECRET_ACCESS_KEY", server.secret_access_key)
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    return Project.init(root, backend="lakefs", repository=name, options={"endpoint": server.url})


# Both backends on one xdist worker, so the module's DVC runs happen once.
pytestmark = pytest.mark.xdist_group("registry-end-to-end")

BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path, pytest.MonkeyPatch], Project]] = {
    "local": _local,
    "lakefs": _lakefs,
}


@pytest.fixture(params=sorted(BACKENDS))
def workspace(
    request: pytest.FixtureRequest, runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    root = tmp_path / "proj"
    shutil.copytree(runs["baseline"], root, symlinks=True)
    home = tmp_path / "home"
    for key, value in _tools_env(home).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LAKELINE_USER", "alice@example.com")
    monkeypatch.delenv("LAKELINE_PROJECT", raising=False)
    BACKENDS[request.param](request, root, monkeypatch).close()
    (root / "lakeline.yaml").write_text(POLICY)
    yield root


def as_user(root: Path, user: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("LAKELINE_USER", user)
    return Project.open(root)


def test_two_experiments_gate_promote_canary_switch_rollback_and_sql_over_events(
    workspace: Path, runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace
    alice = as_user(root, "alice@example.com", monkeypatch)

    # A baseline goes live in production.
    alice.exp_new("baseline")
    alice.commit("baseline: C=0.05")
    as_user(root, "bob@example.com", monkeypatch).approve("baseline", message="reviewed")
    alice = as_user(root, "alice@example.com", monkeypatch)
    first = alice.promote("baseline", message="first model")
    assert (first.version, first.bump) == ("v1.0.0", "initial")
    alice.deploy("classifier", "v1.0.0", env="production", message="go live")

    # Two experiments off main, each a real pipeline run.
    for name in ("strong", "weak"):
        alice.exp_new(name)
        restore(runs[name], root)
        alice.commit(f"{name}: C={RUNS[name]}")
    table = {row["experiment"]: row for row in alice.exp_compare()}
    assert table["main"]["version"] == "classifier@v1.0.0 (production)"
    baseline_accuracy = table["main"]["accuracy"]
    assert table["exp-strong"]["accuracy"] > baseline_accuracy > table["exp-weak"]["accuracy"]
    assert table["exp-weak"]["train.C"] == 0.001

    bob = as_user(root, "bob@example.com", monkeypatch)
    bob.approve("weak")
    bob.approve("strong")
    alice = as_user(root, "alice@example.com", monkeypatch)

    # The worse one is refused by the regression gate, which names the metric; nothing merges.
    main_before = alice.repo.get_branch("main").commit_id
    with pytest.raises(GateFailedError) as refused:
        alice.promote("weak", message="try the weak one")
    weak_accuracy = table["exp-weak"]["accuracy"]
    assert f"accuracy = {weak_accuracy:g}, needs >= {baseline_accuracy:g}" in str(refused.value)
    assert "classifier@v1.0.0 (live in production)" in str(refused.value)
    assert alice.repo.get_branch("main").commit_id == main_before

    # The better one is promoted: params changed upstream of the model, so a minor bump.
    second = alice.promote("strong", message="beats production on accuracy")
    assert (second.version, second.bump, second.previous_version) == ("v1.1.0", "minor", "v1.0.0")
    assert "train.C" in second.bump_reason
    shown = alice.show("classifier@v1.1.0")
    assert shown["metrics"]["accuracy"] == table["exp-strong"]["accuracy"]
    assert shown["path"] == "models/model.pkl"
    assert any(root_.startswith("params.yaml:train.C=") for root_ in shown["lineage_roots"])

    # 10% canary, then the full switch, by an operator.
    ops = as_user(root, "ops@example.com", monkeypatch)
    ops.deploy("classifier", "v1.1.0", env="production", traffic=10, message="canary")
    served = Counter(ops.resolve("classifier", env="production", key=f"user-{i}").version for i in range(400))
    assert served["v1.1.0"] > 0 and served["v1.0.0"] > served["v1.1.0"]
    assert ops.resolve("classifier", env="production", key="user-7") == ops.resolve(
        "classifier", env="production", key="user-7"
    )
    ops.deploy("classifier", "v1.1.0", env="production", traffic=100, message="canary healthy")
    live = ops.resolve("classifier", env="production", key="user-7")
    assert (live.version, live.traffic) == ("v1.1.0", 100)
    assert (
        ops.repo.get_object(live.ref, live.path or "") == (runs["strong"] / "models/model.pkl").read_bytes()
    )

    # One command back to the previously live version.
    back = ops.rollback("classifier", message="latency regression")
    assert (back.from_version, back.to_version) == ("v1.1.0", "v1.0.0")
    resolved = ops.resolve("classifier", env="production")
    assert resolved.version == "v1.0.0"
    assert (
        ops.repo.get_object(resolved.ref, resolved.path or "")
        == (runs["baseline"] / "models/model.pkl").read_bytes()
    )
    assert [d["version"] for d in ops.deployments("classifier")] == ["v1.0.0"]

    # All of it in one SQL query over the catalog's events.
    result = ops.sql(
        "select type, model, version, \"user\", details->>'env' as env, "
        "details->>'traffic' as traffic, reason from events order by time, id"
    )
    rows = [tuple(row[c] for c in result.columns) for row in result.rows]
    assert rows == [
        ("approve", "classifier", None, "bob@example.com", None, None, "reviewed"),
        ("promote", "classifier", "v1.0.0", "alice@example.com", None, None, "first model"),
        ("deploy", "classifier", "v1.0.0", "alice@example.com", "production", "100", "go live"),
        ("approve", "classifier", None, "bob@example.com", None, None, ""),
        ("approve", "classifier", None, "bob@example.com", None, None, ""),
        ("promote", "classifier", "v1.1.0", "alice@example.com", None, None, "beats production on accuracy"),
        ("deploy", "classifier", "v1.1.0", "ops@example.com", "production", "10", "canary"),
        ("deploy", "classifier", "v1.1.0", "ops@example.com", "production", "100", "canary healthy"),
        ("rollback", "classifier", "v1.0.0", "ops@example.com", "production", None, "latency regression"),
    ]

    # The catalog's derived views agree with the registry.
    def query(sql: str) -> list[tuple[object, ...]]:
        result = ops.sql(sql)
        return [tuple(row[c] for c in result.columns) for row in result.rows]

    assert query("select version, status, bump, tag from model_versions order by version") == [
        ("v1.0.0", "active", "initial", "classifier-v1.0.0"),
        ("v1.1.0", "active", "minor", "classifier-v1.1.0"),
    ]
    assert query("select env, version, traffic, shadow from deployments where model = 'classifier'") == [
        ("production", "v1.0.0", 100.0, False)
    ]
    # Every event is a commit on the registry branch in the store's own history.
    event_commits = [
        c
        for c in ops.repo.log(REGISTRY_BRANCH, first_parent=True)
        if c.metadata.get("lakeline.kind") == "event"
    ]
    assert len(event_commits) == len(rows)
