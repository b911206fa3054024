"""`lakeline lineage` (upstream closure of PATH@REF or MODEL@VERSION) and `lakeline impact`
(downstream closure of PATH@REF across every commit: which model versions used these bytes)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from catalog_support import MODEL, PREPARED, RAW, EventWriter, md5, pipeline_commit

from lakeline import Project
from lakeline.catalog.lineage import Target, downstream, upstream
from lakeline.names import PROVENANCE_PATH

RAW_A = b"id,x\n1,2\n"
RAW_B = b"id,x\n5,6\n"


@pytest.fixture
def history(project: Project) -> dict[str, Any]:
    """v1.0.0 and v1.1.0 trained on RAW_A (main, then an experiment merged in), v2.0.0 on RAW_B;
    an unrelated experiment on RAW_B that was never promoted; alias production -> v1.1.0."""
    repo = project.repo
    runs: dict[str, Any] = {}
    runs["v1.0.0"] = pipeline_commit(repo, "main", raw=RAW_A, lr=0.1)
    repo.create_tag("classifier-v1.0.0", runs["v1.0.0"].commit_id)
    repo.create_branch("exp-lr", "main")
    runs["exp-lr"] = pipeline_commit(repo, "exp-lr", raw=RAW_A, lr=0.05)
    merge = repo.merge("exp-lr", "main", metadata={"lakeline.kind": "promote"})
    repo.create_tag("classifier-v1.1.0", merge.id)
    runs["v1.1.0"] = merge.id
    repo.create_branch("exp-other", "main")
    runs["exp-other"] = pipeline_commit(repo, "exp-other", raw=RAW_B, lr=0.5)
    runs["v2.0.0"] = pipeline_commit(repo, "main", raw=RAW_B, lr=0.3)
    repo.create_tag("classifier-v2.0.0", runs["v2.0.0"].commit_id)
    EventWriter(repo)("alias", "classifier", "v1.1.0", {"alias": "production", "previous_version": None})
    project.sync_catalog()
    return runs


def test_lineage_of_a_model_version_walks_back_to_data_params_and_code(
    project: Project, history: Any
) -> None:
    graph = project.lineage("classifier@v1.0.0")
    run = history["v1.0.0"]
    assert (graph.target.path, graph.target.ref, graph.target.commit_id) == (
        MODEL,
        "classifier-v1.0.0",
        run.commit_id,
    )
    assert graph.hash == run.model_hash and graph.git_commit == "a" * 40
    files = {
        (e.stage, e.src_path, e.src_hash, e.dst_path, e.dst_hash) for e in graph.edges if e.src_kind == "file"
    }
    assert files == {
        ("train", PREPARED, run.prepared_hash, MODEL, run.model_hash),
        ("prepare", RAW, run.raw_hash, PREPARED, run.prepared_hash),
    }
    assert graph.sources == [
        (RAW, md5(RAW_A), "file"),
        ("params.yaml:prepare.test_size", "0.2", "param"),
        ("params.yaml:train.lr", "0.1", "param"),
        ("params.yaml:train.seed", "42", "param"),
    ]
    assert [(s.name, s.cmd) for s in graph.stages] == [
        ("prepare", "python scripts/prepare.py"),
        ("train", "python scripts/train.py"),
    ]


def test_lineage_of_an_intermediate_output_stops_at_its_own_inputs(project: Project, history: Any) -> None:
    graph = project.lineage(f"{PREPARED}@classifier-v2.0.0")
    assert {e.stage for e in graph.edges} == {"prepare"}
    assert graph.hash == history["v2.0.0"].prepared_hash
    assert (RAW, md5(RAW_B), "file") in graph.sources


def test_lineage_accepts_aliases_the_latest_version_and_plain_paths(project: Project, history: Any) -> None:
    assert project.lineage("classifier@production").target.commit_id == history["v1.1.0"]
    assert project.lineage("classifier").target.version == "v2.0.0"
    project.set_current_branch("exp-other")
    assert project.lineage(MODEL).hash == history["exp-other"].model_hash


def test_lineage_of_a_source_file_has_no_stages(project: Project, history: Any) -> None:
    graph = project.lineage(f"{RAW}@main")
    assert graph.edges == () and graph.hash == md5(RAW_B)


def test_lineage_cli_prints_a_tree(project: Project, history: Any, cli: Any) -> None:
    out = cli("lineage", "classifier@v1.1.0").stdout
    run = history["exp-lr"]
    for text in (
        "stage train: python scripts/train.py",
        "stage prepare",
        RAW,
        run.raw_hash,
        "train.lr = 0.05",
    ):
        assert text in out, text
    assert out.index("stage train") < out.index("stage prepare") < out.index(RAW)


def test_lineage_cli_json_dot_and_mermaid(project: Project, history: Any, cli: Any) -> None:
    body = cli("lineage", "classifier@v1.0.0", "--json").json()
    assert body["target"]["model"] == "classifier" and body["hash"] == history["v1.0.0"].model_hash
    assert len(body["edges"]) == 5
    assert {"path": RAW, "hash": md5(RAW_A), "kind": "file"} in body["sources"]
    dot = cli("lineage", "classifier@v1.0.0", "--dot").stdout
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == 7  # 5 inputs into 2 stages, 2 stages into their outputs
    assert f"{RAW}\\n{md5(RAW_A)[:12]}" in dot
    mermaid = cli("lineage", "classifier@v1.0.0", "--mermaid").stdout
    assert mermaid.startswith("flowchart LR") and mermaid.count(" --> ") == 7
    both = cli("lineage", "classifier@v1.0.0", "--dot", "--json")
    assert both.code == 1 and "choose one output" in both.stderr


def test_lineage_errors_are_one_line(project: Project, history: Any, cli: Any) -> None:
    cases = {
        ("classifier@v9.9.9",): "model version classifier@v9.9.9 not found",
        ("data/nothing.csv@main",): "no object 'data/nothing.csv' at main",
        (f"{MODEL}@no-such-branch",): "ref 'no-such-branch' not found",
        ("../etc/passwd@main",): "invalid path",
        ("@main",): "invalid path",
        (f"{MODEL}@",): "nothing after '@'",
    }
    for args, message in cases.items():
        result = cli("lineage", *args)
        assert result.code == 1, args
        assert result.stderr.startswith("lakeline: error: ") and message in result.stderr, result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_impact_names_every_version_trained_on_the_file_transitively(project: Project, history: Any) -> None:
    report = project.impact(f"{RAW}@classifier-v1.0.0")
    assert (report.hash, report.hash_source) == (md5(RAW_A), "lineage")
    assert [(v.model, v.version) for v in report.model_versions] == [
        ("classifier", "v1.0.0"),
        ("classifier", "v1.1.0"),
    ]
    assert {c.commit_id for c in report.commits} == {
        history["v1.0.0"].commit_id,
        history["exp-lr"].commit_id,
        history["v1.1.0"],
    }
    models = {(o.path, o.hash) for o in report.outputs if o.stage == "train"}
    assert models == {(MODEL, history["v1.0.0"].model_hash), (MODEL, history["exp-lr"].model_hash)}
    other = project.impact(f"{RAW}@main")
    assert [v.version for v in other.model_versions] == ["v2.0.0"]
    assert history["exp-other"].commit_id in {c.commit_id for c in other.commits}


def test_impact_hashes_an_object_lineage_never_mentions(project: Project, history: Any) -> None:
    project.repo.put_object("main", "data/unused.csv", b"never used\n")
    project.repo.commit("main", "add a file nobody trains on")
    project.sync_catalog()
    report = project.impact("data/unused.csv@main")
    assert (report.hash, report.hash_source) == (hashlib.md5(b"never used\n").hexdigest(), "md5")
    assert report.model_versions == () and report.commits == () and report.outputs == ()


def test_impact_finds_a_file_through_the_directory_that_held_it(project: Project) -> None:
    repo = project.repo
    repo.put_object("main", "data/images/cat.png", b"cat")
    repo.put_object("main", "data/images/dog.png", b"dog")
    provenance = {
        "schema": "lakeline.provenance/1",
        "user": "alice@example.com",
        "lineage": [
            {
                "stage": "train",
                "src_path": "data/images",
                "src_hash": "d1.dir",
                "src_kind": "directory",
                "dst_path": "models/cnn.pt",
                "dst_hash": "m1",
            },
            {
                "stage": "pack",
                "src_path": "models/cnn.pt",
                "src_hash": "m1",
                "src_kind": "file",
                "dst_path": "dist/cnn.tar",
                "dst_hash": "t1",
            },
        ],
    }
    repo.put_object("main", PROVENANCE_PATH, json.dumps(provenance).encode())
    commit = repo.commit("main", "train on a folder", metadata={"lakeline.kind": "pipeline"}).id
    repo.create_tag("cnn-v1.0.0", commit)
    project.sync_catalog()
    report = project.impact("data/images/cat.png@main")
    assert report.hash_source == "md5" and report.containing_dirs == ("d1.dir",)
    assert {(o.path, o.hash) for o in report.outputs} == {("models/cnn.pt", "m1"), ("dist/cnn.tar", "t1")}
    assert [(v.model, v.version) for v in report.model_versions] == [("cnn", "v1.0.0")]


def test_lineage_and_impact_terminate_on_a_cyclic_graph(project: Project) -> None:
    repo = project.repo
    provenance = {
        "schema": "lakeline.provenance/1",
        "lineage": [
            {
                "stage": "s",
                "src_path": "a",
                "src_hash": "ha",
                "src_kind": "file",
                "dst_path": "b",
                "dst_hash": "hb",
            },
            {
                "stage": "s",
                "src_path": "b",
                "src_hash": "hb",
                "src_kind": "file",
                "dst_path": "a",
                "dst_hash": "ha",
            },
        ],
    }
    repo.put_object("main", PROVENANCE_PATH, json.dumps(provenance).encode())
    commit_id = repo.commit("main", "a malformed record with a cycle").id
    project.sync_catalog()
    with project.catalog(sync=False) as conn:
        target = Target("a@main", "a", "main", commit_id)
        graph = upstream(conn, project.repo, target)
        report = downstream(conn, project.repo, target)
    assert len(graph.edges) == 2
    assert set(report.hashes) == {"ha", "hb"}


def test_impact_cli_table_and_json(project: Project, history: Any, cli: Any) -> None:
    out = cli("impact", f"{RAW}@classifier-v1.0.0").stdout
    assert "2 model versions" in out and "classifier-v1.1.0" in out and "v1.0.0" in out
    body = cli("impact", f"{RAW}@classifier-v1.0.0", "--json").json()
    assert [v["version"] for v in body["model_versions"]] == ["v1.0.0", "v1.1.0"]
    assert body["hash"] == md5(RAW_A)
    missing = cli("impact", "data/none.csv@main")
    assert missing.code == 1 and "no object 'data/none.csv' at main" in missing.stderr


def test_impact_does_not_treat_a_model_name_as_a_model(project: Project, history: Any, cli: Any) -> None:
    # impact takes PATH@REF only: "classifier@v1.0.0" is a path named classifier at a ref v1.0.0.
    result = cli("impact", "classifier@v1.0.0")
    assert result.code == 1 and "ref 'v1.0.0' not found" in result.stderr


def test_lineage_of_a_commit_newer_than_the_catalog_syncs_and_retries(project: Project, history: Any) -> None:
    from lakeline.catalog import lineage

    newer = pipeline_commit(project.repo, "main", raw=b"fresh\n", lr=0.7)
    syncs: list[object] = []

    def sync() -> None:
        syncs.append(project.sync_catalog())

    def resolve(conn: Any) -> Any:
        return lineage.resolve_target(
            conn, project.repo, f"{MODEL}@main", default_ref="main", allow_model=True
        )

    # The first read skips the sync (as a busy catalog would make it), meets the new commit,
    # syncs for real and computes again for that same commit, although main moved meanwhile.
    def compute(conn: Any, target: Any) -> Any:
        if not syncs:
            pipeline_commit(project.repo, "main", raw=b"even newer\n", lr=0.8)
        return lineage.upstream(conn, project.repo, target)

    graph = lineage.fresh_read(lambda _: project.catalog(sync=False), sync, resolve, compute)
    assert graph.hash == newer.model_hash and len(syncs) == 1


def test_lineage_and_impact_work_on_the_lakefs_backend(lakefs_project: Project) -> None:
    repo = lakefs_project.repo
    run = pipeline_commit(repo, "main", raw=RAW_A, lr=0.1)
    repo.create_tag("classifier-v1.0.0", run.commit_id)
    repo.put_object("main", "data/extra.csv", b"extra\n")
    repo.commit("main", "a file no stage reads")
    graph = lakefs_project.lineage("classifier@v1.0.0")
    assert graph.hash == run.model_hash and (RAW, md5(RAW_A), "file") in graph.sources
    assert [v.version for v in lakefs_project.impact(f"{RAW}@main").model_versions] == ["v1.0.0"]
    extra = lakefs_project.impact("data/extra.csv@main")  # hashed from its bytes, over HTTP
    assert (extra.hash, extra.hash_source, extra.commits) == (md5(b"extra\n"), "md5", ())


def test_lineage_of_a_version_of_an_unknown_model_says_so_in_one_line(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    Project.init(tmp_path).close()
    monkeypatch.chdir(tmp_path)
    result = cli("lineage", "classifier@v9.9.9")
    assert result.code == 1
    assert result.stderr.startswith("lakeline: error: model version 'classifier@v9.9.9' not found")
    assert len(result.stderr.splitlines()) == 1
