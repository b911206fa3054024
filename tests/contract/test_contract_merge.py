"""Contract: three-way merge (always a merge commit; conflicts change nothing)."""

from __future__ import annotations

import pytest
from contract_support import commit_files, contents

from lakeline.errors import (
    DirtyBranchError,
    InvalidInputError,
    MergeConflictError,
    NoChangesError,
    NotFoundError,
)
from lakeline.store import Repository


def _base(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"base", "b": b"base", "c": b"base"}, "base")
    repo.create_branch("dev", "main")


def test_clean_merge_combines_both_sides_and_makes_a_merge_commit(repo: Repository) -> None:
    _base(repo)
    dev = commit_files(repo, "dev", {"a": b"dev", "d": b"dev", "b": None}, "dev work")
    main = commit_files(repo, "main", {"c": b"main", "e": b"main"}, "main work")
    merge = repo.merge("dev", "main")
    assert merge.parents == (main.id, dev.id)
    assert merge.message == "Merge 'dev' into 'main'"
    assert repo.get_branch("main").commit_id == merge.id
    assert contents(repo, "main") == {"a": b"dev", "c": b"main", "d": b"dev", "e": b"main"}
    assert contents(repo, "dev") == {"a": b"dev", "c": b"base", "d": b"dev"}
    assert merge.generation == max(main.generation, dev.generation) + 1


def test_merge_with_message_metadata_and_strategy_records_them(repo: Repository) -> None:
    _base(repo)
    commit_files(repo, "dev", {"a": b"dev"})
    merge = repo.merge("dev", "main", message="promote", metadata={"who": "me"}, strategy="source-wins")
    assert merge.message == "promote"
    assert merge.metadata["who"] == "me"
    assert merge.metadata[".lakefs.merge.strategy"] == "source-wins"


def test_merge_of_a_source_that_only_fast_forwards_still_makes_a_merge_commit(repo: Repository) -> None:
    _base(repo)
    base = repo.get_branch("main").commit_id
    dev = commit_files(repo, "dev", {"a": b"dev"})
    merge = repo.merge("dev", "main")
    assert merge.id != dev.id
    assert merge.parents == (base, dev.id)
    assert merge.meta_range_id == dev.meta_range_id or contents(repo, "main") == contents(repo, "dev")


def test_merge_conflict_names_paths_and_changes_nothing(repo: Repository) -> None:
    _base(repo)
    commit_files(repo, "dev", {"a": b"dev", "b": b"dev", "c": None, "x": b"dev"}, "dev")
    before = commit_files(repo, "main", {"a": b"main", "b": b"dev", "c": b"main", "x": b"main"}, "main")
    with pytest.raises(MergeConflictError) as caught:
        repo.merge("dev", "main")
    assert sorted(caught.value.paths) == ["a", "c", "x"]
    assert "a" in str(caught.value)
    assert repo.get_branch("main").commit_id == before.id
    assert list(repo.diff_uncommitted("main")) == []
    assert contents(repo, "main") == {"a": b"main", "b": b"dev", "c": b"main", "x": b"main"}


def test_identical_changes_on_both_sides_are_not_conflicts(repo: Repository) -> None:
    _base(repo)
    commit_files(repo, "dev", {"a": b"same", "b": None, "n": b"new"}, "dev")
    commit_files(repo, "main", {"a": b"same", "b": None, "n": b"new", "m": b"m"}, "main")
    repo.merge("dev", "main")
    assert contents(repo, "main") == {"a": b"same", "c": b"base", "m": b"m", "n": b"new"}


@pytest.mark.parametrize(("strategy", "winner"), [("dest-wins", b"main"), ("source-wins", b"dev")])
def test_strategies_resolve_every_conflict(repo: Repository, strategy: str, winner: bytes) -> None:
    _base(repo)
    commit_files(repo, "dev", {"a": b"dev", "c": None, "d": b"dev"}, "dev")
    commit_files(repo, "main", {"a": b"main", "c": b"main"}, "main")
    merge = repo.merge("dev", "main", strategy=strategy)  # type: ignore[arg-type]
    assert merge.metadata[".lakefs.merge.strategy"] == strategy
    result = contents(repo, "main")
    assert result["a"] == winner
    assert result["d"] == b"dev"
    if strategy == "dest-wins":
        assert result["c"] == b"main"
    else:
        assert "c" not in result


def test_merge_into_a_dirty_branch_is_refused(repo: Repository) -> None:
    _base(repo)
    commit_files(repo, "dev", {"a": b"dev"})
    head = repo.get_branch("main").commit_id
    repo.put_object("main", "wip", b"uncommitted")
    with pytest.raises(DirtyBranchError):
        repo.merge("dev", "main")
    assert repo.get_branch("main").commit_id == head
    assert repo.get_object("main", "wip") == b"uncommitted"


def test_merging_nothing_new_is_no_changes(repo: Repository) -> None:
    _base(repo)
    with pytest.raises(NoChangesError):
        repo.merge("dev", "main")
    commit_files(repo, "dev", {"a": b"dev"})
    repo.merge("dev", "main")
    with pytest.raises(NoChangesError):
        repo.merge("dev", "main")
    with pytest.raises(NoChangesError):
        repo.merge("main~1", "main")


def test_merge_from_a_commit_or_tag_ref(repo: Repository) -> None:
    _base(repo)
    work = commit_files(repo, "dev", {"a": b"dev"})
    commit_files(repo, "dev", {"a": b"later"})
    repo.create_tag("good", work.id)
    merge = repo.merge("good", "main")
    assert merge.parents[1] == work.id
    assert repo.get_object("main", "a") == b"dev"


def test_merge_back_after_merge_only_brings_new_changes(repo: Repository) -> None:
    _base(repo)
    commit_files(repo, "dev", {"a": b"dev"})
    repo.merge("dev", "main")
    commit_files(repo, "main", {"b": b"main"})
    repo.merge("main", "dev")
    assert contents(repo, "dev") == contents(repo, "main")
    commit_files(repo, "dev", {"c": b"dev2"})
    repo.merge("dev", "main")
    assert repo.get_object("main", "c") == b"dev2"


def test_merge_errors_for_unknown_refs_and_bad_strategy(repo: Repository) -> None:
    _base(repo)
    commit_files(repo, "dev", {"a": b"dev"})
    with pytest.raises(NotFoundError):
        repo.merge("nope", "main")
    with pytest.raises(NotFoundError):
        repo.merge("dev", "nope")
    with pytest.raises(InvalidInputError):
        repo.merge("dev", "main", strategy="ours")  # type: ignore[arg-type]
