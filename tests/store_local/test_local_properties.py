"""Invariants of diff, merge and ref resolution, checked with hypothesis against simple models.

Trees are built with tiny ranges (~2 entries each) so that range reuse, skipping and re-cutting
are on every code path; ``b`` is derived from ``a`` by applying changes, so the two trees share
ranges the way successive commits do.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeline.errors import NotFoundError
from lakeline.store.local import LocalStore
from lakeline.store.local.manifest import Entry, ManifestStore, Metarange
from lakeline.store.local.merge import diff_trees, plan_merge

PATHS = [f"{d}/{f}" for d in ("a", "b", "b/c", "d") for f in ("1", "2", "3", "x", "y")] + ["z", "a0", "b-"]
Tree = dict[str, str]

trees = st.dictionaries(st.sampled_from(PATHS), st.sampled_from(["v1", "v2", "v3"]), max_size=len(PATHS))


def _entry(path: str, content: str) -> Entry:
    return Entry(path, f"sum-{content}", len(content), 0, "application/octet-stream", "{}")


@pytest.fixture(scope="module")
def manifests() -> Iterator[ManifestStore]:
    with tempfile.TemporaryDirectory() as tmp:
        yield ManifestStore(Path(tmp), range_bits=1)


def _build(
    manifests: ManifestStore, tree: Tree, start: Metarange | None = None, old: Tree | None = None
) -> Metarange:
    """``tree`` as a metarange; from ``start`` (holding ``old``) by applying only the differences."""
    base = start if start is not None else manifests.empty
    before = old or {}
    changes = [
        (p, _entry(p, tree[p]) if p in tree else None)
        for p in sorted(set(before) | set(tree))
        if before.get(p) != tree.get(p)
    ]
    return manifests.apply(base, changes)


def _content(manifests: ManifestStore, tree: Metarange) -> Tree:
    return {e.path: e.checksum.removeprefix("sum-") for e in manifests.iter_entries(tree)}


def _model_diff(left: Tree, right: Tree) -> list[tuple[str, str | None, str | None]]:
    return [
        (p, left.get(p), right.get(p)) for p in sorted(set(left) | set(right)) if left.get(p) != right.get(p)
    ]


def _diff(
    manifests: ManifestStore, left: Metarange, right: Metarange
) -> list[tuple[str, str | None, str | None]]:
    def content(e: Entry | None) -> str | None:
        return None if e is None else e.checksum.removeprefix("sum-")

    return [(c.path, content(c.left), content(c.right)) for c in diff_trees(manifests, left, right)]


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(a=trees, b=trees)
def test_diff_matches_the_model_and_is_its_own_inverse(manifests: ManifestStore, a: Tree, b: Tree) -> None:
    ta = _build(manifests, a)
    tb = _build(manifests, b, ta, a)
    assert _content(manifests, ta) == a
    assert _content(manifests, tb) == b
    forward = _diff(manifests, ta, tb)
    assert forward == _model_diff(a, b)
    assert _diff(manifests, tb, ta) == [(p, right, left) for p, left, right in forward]
    # A tree built from scratch has other range cuts but the same content: no differences.
    assert _diff(manifests, _build(manifests, b), tb) == []


@SETTINGS
@given(a=trees, b=trees, prefix=st.sampled_from(["", "a/", "b/", "b/c/", "z", "q"]))
def test_diff_with_prefix_and_start_is_the_filtered_diff(
    manifests: ManifestStore, a: Tree, b: Tree, prefix: str
) -> None:
    ta = _build(manifests, a)
    tb = _build(manifests, b, ta, a)
    expected = [d for d in _model_diff(a, b) if d[0].startswith(prefix)]
    got = [(c.path, c.left, c.right) for c in diff_trees(manifests, ta, tb, prefix=prefix)]
    assert [g[0] for g in got] == [e[0] for e in expected]
    start = "b/2"
    assert [c.path for c in diff_trees(manifests, ta, tb, start=start)] == [
        d[0] for d in _model_diff(a, b) if d[0] >= start
    ]


@SETTINGS
@given(base=trees, source=trees)
def test_merge_without_divergence_never_conflicts_and_yields_the_source(
    manifests: ManifestStore, base: Tree, source: Tree
) -> None:
    tbase = _build(manifests, base)
    tsource = _build(manifests, source, tbase, base)
    plan = plan_merge(manifests, tbase, tsource, tbase, None)
    assert plan.conflicts == []
    assert _content(manifests, manifests.apply(tbase, plan.changes)) == source


def _side(base: Tree, edits: dict[str, str | None]) -> Tree:
    tree = dict(base)
    for path, value in edits.items():
        if value is None:
            tree.pop(path, None)
        else:
            tree[path] = value
    return tree


edits = st.dictionaries(st.sampled_from(PATHS), st.one_of(st.none(), st.sampled_from(["v1", "v2", "v4"])))


@SETTINGS
@given(base=trees, ours=edits, theirs=edits, strategy=st.sampled_from([None, "dest-wins", "source-wins"]))
def test_merge_result_is_base_plus_both_sides_changes(
    manifests: ManifestStore,
    base: Tree,
    ours: dict[str, str | None],
    theirs: dict[str, str | None],
    strategy: str | None,
) -> None:
    dest, source = _side(base, ours), _side(base, theirs)
    tbase = _build(manifests, base)
    tdest = _build(manifests, dest, tbase, base)
    tsource = _build(manifests, source, tbase, base)
    changed_dest = {p for p in set(base) | set(dest) if base.get(p) != dest.get(p)}
    changed_source = {p for p in set(base) | set(source) if base.get(p) != source.get(p)}
    conflicts = sorted(p for p in changed_dest & changed_source if dest.get(p) != source.get(p))
    plan = plan_merge(manifests, tbase, tsource, tdest, strategy)
    if strategy is None:
        assert plan.conflicts == conflicts
        if conflicts:
            return
    expected = dict(base)
    for path in sorted(changed_dest | changed_source):
        take_source = path in changed_source and (path not in changed_dest or strategy == "source-wins")
        value = source.get(path) if take_source else dest.get(path)
        if value is None:
            expected.pop(path, None)
        else:
            expected[path] = value
    assert _content(manifests, manifests.apply(tdest, plan.changes)) == expected
    assert plan.source_changed == bool(changed_source)


# --- ref expressions against a model of git history ------------------------------------------

operations = st.lists(
    st.tuples(st.sampled_from(["commit", "branch", "merge"]), st.integers(0, 3), st.integers(0, 3)),
    min_size=1,
    max_size=12,
)
modifiers = st.lists(st.tuples(st.sampled_from(["~", "^"]), st.integers(0, 3)), max_size=4)
_repo_counter = itertools.count()


@pytest.fixture(scope="module")
def ref_store() -> Iterator[LocalStore]:
    with tempfile.TemporaryDirectory() as tmp, LocalStore(Path(tmp), committer="model") as store:
        yield store


def _model_resolve(
    parents: dict[str, tuple[str, ...]], commit: str, mods: list[tuple[str, int]]
) -> str | None:
    for kind, n in mods:
        if kind == "~":
            for _ in range(n):
                if not parents[commit]:
                    return None
                commit = parents[commit][0]
        elif n > 0:
            if n > len(parents[commit]):
                return None
            commit = parents[commit][n - 1]
    return commit


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, queries=st.lists(st.tuples(st.integers(0, 50), modifiers), min_size=1, max_size=8))
def test_every_tilde_and_caret_ref_resolves_as_git_history_predicts(
    ref_store: LocalStore, ops: list[tuple[str, int, int]], queries: list[tuple[int, list[tuple[str, int]]]]
) -> None:
    repo = ref_store.create_repository(f"refs-{next(_repo_counter)}")
    root = repo.get_commit("main")
    parents: dict[str, tuple[str, ...]] = {root.id: ()}
    branches = ["main"]
    for step, (op, i, j) in enumerate(ops):
        src, dst = branches[i % len(branches)], branches[j % len(branches)]
        if op == "branch":
            name = f"b{step}"
            repo.create_branch(name, src)
            branches.append(name)
            continue
        if op == "merge" and src != dst:
            repo.put_object(src, f"merge-src-{step}", b"x")
            parents_before = repo.get_branch(src).commit_id
            commit = repo.commit(src, f"pre-merge {step}")
            parents[commit.id] = (parents_before,)
            merge = repo.merge(src, dst)
            parents[merge.id] = merge.parents
            continue
        repo.put_object(dst, f"f-{step}", str(step).encode())
        before = repo.get_branch(dst).commit_id
        commit = repo.commit(dst, f"c{step}")
        assert commit.parents == (before,)
        parents[commit.id] = commit.parents
    commits = sorted(parents)
    for index, mods in queries:
        start = commits[index % len(commits)]
        expression = start + "".join(f"{kind}{n}" for kind, n in mods)
        expected = _model_resolve(parents, start, mods)
        if expected is None:
            with pytest.raises(NotFoundError):
                repo.get_commit(expression)
        else:
            assert repo.get_commit(expression).id == expected
    for branch in branches:
        head = repo.get_branch(branch).commit_id
        for mods in ([("~", 1)], [("^", 2)], [("~", 1), ("^", 1)]):
            expression = branch + "".join(f"{kind}{n}" for kind, n in mods)
            expected = _model_resolve(parents, head, mods)
            if expected is None:
                with pytest.raises(NotFoundError):
                    repo.get_commit(expression)
            else:
                assert repo.get_commit(expression).id == expected
