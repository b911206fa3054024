"""The main job end to end, with real git, real `dvc repro` and the real example pipeline.

Two experiments with different params are reproduced and committed in one workspace; a
fresh git clone attached to the same store checks each out and gets byte-identical files,
DVC there agrees nothing needs rerunning, and a forced rerun gives the same bytes again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from pipeline_support import (
    REPO_ROOT,
    commit_all,
    dvc,
    expected_lineage,
    git,
    git_init,
    read_lock,
    repro,
)

from lakeline import Project
from lakeline.config import STATE_DIR, ProjectConfig
from lakeline.names import PROVENANCE_PATH
from lakeline.store.base import ObjectStats

EXAMPLE_FILES = ["dvc.yaml", "params.yaml", "scripts/prepare.py", "scripts/train.py", "scripts/evaluate.py"]
OUTPUTS = [
    "data/prepared/train.parquet",
    "data/prepared/test.parquet",
    "models/model.pkl",
    "models/signature.json",
    "metrics.json",
    "plots/roc.png",
]


def set_c(root: Path, value: float) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    params["train"]["C"] = value
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def snapshot(project: Project, ref: str) -> dict[str, bytes]:
    """Every tracked file at ``ref``; each must equal the workspace's bytes right now."""
    files = {}
    for item in project.repo.list_objects(ref):
        if isinstance(item, ObjectStats) and not item.path.startswith("_lakeline/"):
            data = project.repo.get_object(ref, item.path)
            assert (project.root / item.path).read_bytes() == data, item.path
            files[item.path] = data
    return files


def check_provenance(project: Project, ref: str, message: str, c_value: float) -> dict[str, object]:
    record = project.read_provenance(ref)
    assert record is not None
    lock = read_lock(project.root)
    assert record["message"] == message
    assert record["branch"] == ref
    assert record["git"] == {
        "commit": git(project.root, "rev-parse", "HEAD").strip(),
        "dirty": True,  # params.yaml differs from the committed code's
        "branch": "main",
    }
    assert record["params"]["train.C"] == c_value
    assert record["seeds"] == {"prepare.seed": 42, "train.seed": 42}
    assert record["metrics"] == json.loads((project.root / "metrics.json").read_text())
    assert set(record["metrics"]) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert record["lineage"] == expected_lineage(lock)
    assert set(record["stages"]) == {"prepare", "train", "evaluate"}
    model_out = next(o for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.pkl")
    classifier = record["artifacts"]["classifier"]
    assert classifier["hash"] == model_out["md5"]
    assert classifier["type"] == "model"
    assert classifier["signature"] == json.loads((project.root / "models/signature.json").read_text())
    assert len(classifier["signature"]["inputs"]) == 30
    assert classifier["signature"]["outputs"]["classes"] == [0, 1]
    env = record["environment"]
    assert {"dvc", "scikit-learn", "pandas", "pyarrow"} <= set(env["packages"])
    return record


@pytest.mark.slow  # slow but essential: runs in CI like every other test, never skipped
def test_two_experiments_committed_and_checked_out_byte_identical_in_a_fresh_clone(tmp_path: Path) -> None:
    ws1 = tmp_path / "ws1"
    git_init(ws1)
    for rel in EXAMPLE_FILES:
        (ws1 / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, ws1 / rel)
    dvc(ws1, "init", "--quiet")
    dvc(ws1, "config", "core.analytics", "false")
    commit_all(ws1, "example pipeline")
    project = Project.init(ws1)

    # Experiment 1: stronger regularisation, reproduced by DVC, committed by lakeline.
    project.exp_new("c-strong")
    set_c(ws1, 0.05)
    repro(ws1)
    first = project.commit("C=0.05")
    strong = snapshot(project, "exp-c-strong")
    assert set(OUTPUTS) <= set(strong)
    strong_record = check_provenance(project, "exp-c-strong", "C=0.05", 0.05)

    # Experiment 2, from main, through `lakeline run` (dvc repro + commit).
    project.exp_new("c-weak")
    set_c(ws1, 10.0)
    second = project.run("C=10", output=None)
    weak = snapshot(project, "exp-c-weak")
    weak_record = check_provenance(project, "exp-c-weak", "C=10", 10.0)
    assert strong["models/model.pkl"] != weak["models/model.pkl"]
    assert strong["data/prepared/train.parquet"] == weak["data/prepared/train.parquet"]  # same split
    assert strong_record["metrics"] != weak_record["metrics"]
    assert {e.name: e.commit_id for e in project.exp_list()} == {
        "c-strong": first.commit_id,
        "c-weak": second.commit_id,
    }
    meta = project.repo.get_commit(second.commit_id).metadata
    assert json.loads(meta["lakeline.metrics"]) == weak_record["metrics"]
    assert meta["lakeline.provenance"] == PROVENANCE_PATH

    # A second workspace: a git clone attached to the same store.
    ws2 = tmp_path / "ws2"
    git(tmp_path, "clone", "--quiet", str(ws1), str(ws2))
    store_path = str(ws1 / STATE_DIR / "store")
    ProjectConfig(repository=project.config.repository, options={"path": store_path}).save(ws2 / STATE_DIR)
    project.close()
    clone = Project.open(ws2)

    result = clone.checkout("exp-c-strong")
    assert clone.current_branch == "exp-c-strong"
    for path, data in strong.items():
        assert (ws2 / path).read_bytes() == data, path
    assert set(result.dvc_cached) == {"prepare", "train", "evaluate"}
    assert clone.status().clean
    # DVC in the clone starts from the branch's data: nothing to rerun.
    out = dvc(ws2, "repro")
    assert "Running stage" not in out, out

    clone.checkout("exp-c-weak")
    for path, data in weak.items():
        assert (ws2 / path).read_bytes() == data, path
    # The example is deterministic: a forced rerun from scratch writes the same bytes.
    dvc(ws2, "repro", "--force", "--quiet")
    for path in [*OUTPUTS, "dvc.lock"]:
        assert (ws2 / path).read_bytes() == weak[path], f"{path} changed on rerun"
    assert clone.status().clean
    clone.close()
