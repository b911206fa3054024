"""Provenance records and lineage: complete, automatic, secret-free, and equal to dvc.lock."""

from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path

import pytest
from pipeline_support import (
    commit_all,
    dvc,
    expected_lineage,
    flat,
    git,
    git_init,
    md5,
    read_lock,
    repro,
)

from lakeline import Project
from lakeline.errors import NotFoundError
from lakeline.names import PROVENANCE_PATH
from lakeline.pipeline import environment
from lakeline.pipeline.hashing import dir_hash, hash_directory
from lakeline.pipeline.lineage import expand_directory
from lakeline.pipeline.provenance import seeds_from_params

RECORD_KEYS = {
    "schema",
    "message",
    "user",
    "time",
    "branch",
    "git",
    "stages",
    "params",
    "metrics",
    "seeds",
    "environment",
    "artifacts",
    "lineage",
}


def test_provenance_record_is_complete_and_nobody_types_it(tiny: Project) -> None:
    result = tiny.commit("first run")
    record = tiny.read_provenance("main")
    assert record is not None
    assert set(record) == RECORD_KEYS
    assert record["schema"] == "lakeline.provenance/1"
    assert record["message"] == "first run"
    assert record["user"] == "tester@example.com"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["time"])
    assert record["branch"] == "main"
    assert record["git"] == {
        "commit": git(tiny.root, "rev-parse", "HEAD").strip(),
        "dirty": False,
        "branch": "main",
    }
    assert record["params"] == {
        "prepare.rows": 3,
        "train.lr": 0.5,
        "train.random_state": 11,
        "train.seed": 7,
    }
    # Numbers only, nested keys flattened; the text entry of metrics.json is not a metric.
    assert record["metrics"] == {"accuracy": 0.5, "nested.loss": 0.25}
    assert record["seeds"] == {"train.random_state": 11, "train.seed": 7}
    env = record["environment"]
    assert set(env) == {"python", "platform", "machine", "cpu", "cpu_count", "gpu", "packages"}
    assert env["python"] == platform.python_version()
    assert env["cpu_count"] == os.cpu_count()
    assert env["packages"]["dvc"] == dvc(tiny.root, "--version").strip()
    assert "lakeline" in env["packages"]
    lock = read_lock(tiny.root)
    model_hash = next(o["md5"] for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.bin")
    assert record["artifacts"] == {
        "classifier": {
            "path": "models/model.bin",
            "type": "model",
            "desc": "a tiny model",
            "labels": ["tiny"],
            "meta": {"signature": "models/signature.json"},
            "hash": model_hash,
            "signature": {"inputs": [{"name": "x", "dtype": "int64"}], "outputs": {"classes": [0, 1]}},
        }
    }
    # Stored as sorted-key JSON, and the commit id it belongs to is the one returned.
    raw = tiny.repo.get_object(result.commit_id, PROVENANCE_PATH)
    assert raw == (json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def test_stage_graph_and_lineage_match_dvc_lock_exactly(tiny: Project) -> None:
    tiny.commit("first")
    record = tiny.read_provenance("main")
    assert record is not None
    lock = read_lock(tiny.root)
    assert set(record["stages"]) == set(lock["stages"])  # a JSON object: keys are stored sorted
    for name, body in lock["stages"].items():
        stage = record["stages"][name]
        assert stage["cmd"] == body["cmd"]
        assert [(d["path"], d["hash"]) for d in stage["deps"]] == [
            (d["path"], d["md5"]) for d in body["deps"]
        ]
        assert [(o["path"], o["hash"], o["size"]) for o in stage["outs"]] == [
            (o["path"], o["md5"], o["size"]) for o in body["outs"]
        ]
        assert stage["params"] == {f: flat(v) for f, v in (body.get("params") or {}).items()}
    assert record["lineage"] == expected_lineage(lock)
    kinds = {(e["src_path"], e["src_kind"]) for e in record["lineage"]}
    assert ("data/prepared", "directory") in kinds and ("params.yaml:train.lr", "param") in kinds


FANOUT_DVC_YAML = """\
stages:
  fit:
    foreach: ${models}
    do:
      cmd: mkdir -p out && echo ${item.lr} > out/${key}.txt
      deps:
        - raw/input.csv
      params:
        - models.${key}.lr
        - nested
        - config/extra.json:
            - opt.depth
      outs:
        - out/${key}.txt
  grid:
    matrix:
      seed: ${seeds}
      model: [small, big]
    cmd: mkdir -p grid/${item.model}-${item.seed} && echo ${item.seed} > grid/${item.model}-${item.seed}/f
    deps:
      - rawdir
    outs:
      - grid/${item.model}-${item.seed}
"""


@pytest.fixture
def fanout(tmp_path: Path) -> Project:
    root = tmp_path / "fanout"
    git_init(root)
    dvc(root, "init", "--quiet")
    (root / "dvc.yaml").write_text(FANOUT_DVC_YAML)
    (root / "params.yaml").write_text(
        "models:\n  small: {lr: 0.1, layers: [8, 4]}\n  big: {lr: 0.01, layers: [64]}\n"
        "seeds: [1, 2]\nnested:\n  a:\n    b:\n      c: 3\n    d: [x, y]\n"
    )
    (root / "config").mkdir()
    (root / "config" / "extra.json").write_text('{"opt": {"depth": 4, "unused": true}}')
    (root / "raw").mkdir()
    (root / "raw" / "input.csv").write_text("a\n1\n")
    (root / "rawdir").mkdir()
    (root / "rawdir" / "x").write_text("1\n")
    (root / "rawdir" / "y").write_text("2\n")
    (root / ".gitignore").write_text("/raw/\n/rawdir/\n")
    commit_all(root)
    repro(root)
    return Project.init(root)


def test_foreach_matrix_and_nested_params_give_lineage_equal_to_dvc_lock(fanout: Project) -> None:
    fanout.commit("fan-out")
    record = fanout.read_provenance("main")
    assert record is not None
    lock = read_lock(fanout.root)
    assert set(record["stages"]) == {
        "fit@small",
        "fit@big",
        "grid@1-small",
        "grid@1-big",
        "grid@2-small",
        "grid@2-big",
    }
    assert record["lineage"] == expected_lineage(lock)
    fit = record["stages"]["fit@small"]["params"]
    assert fit == {
        "params.yaml": {"models.small.lr": 0.1, "nested.a.b.c": 3, "nested.a.d": ["x", "y"]},
        "config/extra.json": {"opt.depth": 4},
    }
    edges = {(e["stage"], e["src_path"], e["src_hash"]) for e in record["lineage"]}
    assert ("fit@small", "params.yaml:nested.a.d", '["x","y"]') in edges
    assert ("fit@big", "config/extra.json:opt.depth", "4") in edges
    assert ("grid@2-big", "rawdir", lock["stages"]["grid@2-big"]["deps"][0]["md5"]) in edges
    # Every params file is recorded whole; files other than params.yaml are prefixed.
    assert record["params"]["models.big.layers"] == [64]
    assert record["params"]["config/extra.json:opt.unused"] is True
    # Directory outputs of matrix stages and the untracked data dependencies are stored.
    assert fanout.repo.get_object("main", "grid/big-2/f") == b"2\n"
    assert fanout.repo.get_object("main", "rawdir/y") == b"2\n"
    assert (
        fanout.repo.get_object("main", "config/extra.json")
        == (fanout.root / "config/extra.json").read_bytes()
    )


def test_directory_hash_recomputed_from_files_equals_dvc_lock(tiny: Project) -> None:
    lock = read_lock(tiny.root)
    recorded = lock["stages"]["prepare"]["outs"][0]["md5"]
    assert dir_hash(hash_directory(tiny.root / "data/prepared")) == recorded


def test_expand_directory_gives_the_stored_files_of_that_version(tiny: Project) -> None:
    first = tiny.commit("first")
    old_hash = read_lock(tiny.root)["stages"]["prepare"]["outs"][0]["md5"]
    entries = expand_directory(tiny.repo, first.commit_id, "data/prepared", old_hash)
    assert [(e.relpath, e.md5) for e in entries] == [
        ("all.csv", md5(tiny.root / "data/prepared/all.csv")),
        ("rows.txt", md5(tiny.root / "data/prepared/rows.txt")),
    ]
    (tiny.root / "params.yaml").write_text(
        (tiny.root / "params.yaml").read_text().replace("rows: 3", "rows: 5"), encoding="utf-8"
    )
    repro(tiny.root)
    tiny.commit("rows=5")
    with pytest.raises(NotFoundError, match="is version .* not " + re.escape(old_hash)):
        expand_directory(tiny.repo, "main", "data/prepared", old_hash)
    assert expand_directory(tiny.repo, first.commit_id, "data/prepared", old_hash) == entries
    with pytest.raises(NotFoundError):
        expand_directory(tiny.repo, "main", "no/such/dir")


def test_secrets_never_enter_provenance(tiny: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter2-env-secret")
    monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", "hunter3-env-secret")
    git(tiny.root, "remote", "add", "origin", "https://bob:tok3n-in-url@example.com/repo.git")
    result = tiny.commit("with secrets around")
    raw = tiny.repo.get_object("main", PROVENANCE_PATH)
    meta = json.dumps(dict(tiny.repo.get_commit(result.commit_id).metadata))
    for secret in ("hunter2", "hunter3", "tok3n", "example.com/repo"):
        assert secret.encode() not in raw
        assert secret not in meta


def test_read_provenance_is_none_without_a_record_and_unknown_refs_are_not_found(tiny: Project) -> None:
    assert tiny.read_provenance("main") is None
    with pytest.raises(NotFoundError):
        tiny.read_provenance("no-such-branch")


def test_seeds_are_the_params_whose_key_mentions_seed_or_random_state() -> None:
    params = {"train.seed": 1, "prepare.Random_State": 2, "split.seeds": [1, 2], "train.lr": 0.1}
    assert seeds_from_params(params) == {"train.seed": 1, "prepare.Random_State": 2, "split.seeds": [1, 2]}


def _fake_nvidia_smi(folder: Path, body: str) -> None:
    folder.mkdir(exist_ok=True)
    exe = folder / "nvidia-smi"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)


def test_gpu_capture_reads_nvidia_smi_and_never_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bindir))
    environment.gpus.cache_clear()
    assert environment.gpus() is None  # no nvidia-smi at all
    _fake_nvidia_smi(bindir, "echo 'Tesla T4, 535.104.05, 15360 MiB'")
    environment.gpus.cache_clear()
    assert environment.gpus() == [{"name": "Tesla T4", "driver": "535.104.05", "memory": "15360 MiB"}]
    _fake_nvidia_smi(bindir, "echo 'NVIDIA-SMI has failed' >&2; exit 9")
    environment.gpus.cache_clear()
    assert environment.gpus() is None
    environment.gpus.cache_clear()
