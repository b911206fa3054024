"""The invariant behind `catalog rebuild`: whatever happens to the repository and whenever
syncs run, the incrementally synced catalog equals one rebuilt from nothing, table by table."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import pytest
from catalog_support import STORAGE, VOLATILE, EventWriter, pipeline_commit, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeline import Project
from lakeline.catalog.sync import SyncTuning, rebuild, sync
from lakeline.errors import LakelineError

BRANCHES = ("main", "exp-a", "exp-b")
_counter = itertools.count()
DELTAS = SyncTuning(incremental_tree_min=1, keyframe_min=3)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("run"), st.sampled_from(BRANCHES), st.integers(0, 2), st.integers(1, 9)),
        st.tuples(st.just("foreign"), st.sampled_from(BRANCHES)),
        st.tuples(st.just("merge"), st.sampled_from(BRANCHES[1:])),
        st.tuples(st.just("tag"), st.sampled_from(BRANCHES)),
        st.tuples(st.just("delete"), st.sampled_from(BRANCHES[1:])),
        st.tuples(st.just("event"), st.sampled_from(("alias", "deploy", "retire"))),
        st.just(("sync",)),
    ),
    min_size=1,
    max_size=10,
)


@pytest.mark.xdist_group("catalog-property")
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_incremental_syncs_equal_a_rebuild_whatever_happens(
    tmp_path: Path, ops: list[tuple[object, ...]]
) -> None:
    root = tmp_path / f"p{next(_counter)}"
    root.mkdir()
    Project.init(root).close()
    deltas = root / "deltas" / "catalog.duckdb"
    deltas.parent.mkdir()
    with Project.open(root) as project:
        repo = project.repo
        events = EventWriter(repo)
        version = itertools.count()
        for op in ops:
            kind = op[0]
            branch = str(op[1]) if len(op) > 1 else "main"
            if kind in ("run", "foreign", "tag") and branch != "main":
                with contextlib.suppress(LakelineError):
                    repo.create_branch(branch, "main")
            with contextlib.suppress(LakelineError):  # merges with nothing to merge, deleted branches...
                if kind == "run":
                    pipeline_commit(repo, branch, raw=b"raw %d\n" % int(op[2]), lr=int(op[3]) / 10)  # type: ignore[call-overload]
                elif kind == "foreign":
                    repo.put_object(branch, f"notes/{next(version)}.txt", b"by another tool")
                    repo.commit(branch, "foreign commit")
                elif kind == "merge":
                    repo.merge(branch, "main")
                elif kind == "tag":
                    repo.create_tag(f"classifier-v1.{next(version)}.0", branch)
                elif kind == "delete":
                    repo.delete_branch(branch)
                elif kind == "event":
                    state = [{"version": "v1.0.0", "traffic": 100, "shadow": False}]
                    details = {"alias": "production", "env": "prod", "mode": "full", "state": state}
                    events(str(op[1]), "classifier", "v1.0.0", details)
                elif kind == "sync":
                    project.sync_catalog()
                    sync(repo, deltas, backend="local", timeout=10, tuning=DELTAS)
        project.sync_catalog()
        sync(repo, deltas, backend="local", timeout=10, tuning=DELTAS)
        fresh = root / "fresh.duckdb"
        rebuild(repo, fresh, backend="local", timeout=10)
        assert snapshot(project.catalog_path, ignore=VOLATILE) == snapshot(fresh, ignore=VOLATILE)
        # Trees stored as deltas on every commit (and re-based often) read back the same objects.
        assert snapshot(deltas, ignore=STORAGE) == snapshot(fresh, ignore=STORAGE)
