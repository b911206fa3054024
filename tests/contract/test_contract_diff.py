"""Contract: diff between refs (two-dot and three-dot)."""

from __future__ import annotations

import pytest
from contract_support import changes, commit_files

from lakeline.errors import InvalidInputError, NotFoundError
from lakeline.store import Repository


def _diverged(repo: Repository) -> None:
    """main and dev share base {a, b, c}; dev changes a, removes b, adds d; main adds m."""
    commit_files(repo, "main", {"a": b"1", "b": b"1", "c": b"1"}, "base")
    repo.create_branch("dev", "main")
    commit_files(repo, "dev", {"a": b"22", "b": None, "d": b"1"}, "dev work")
    commit_files(repo, "main", {"m": b"1"}, "main work")


def test_three_dot_diff_shows_only_the_right_sides_changes_since_the_merge_base(repo: Repository) -> None:
    _diverged(repo)
    assert changes(repo.diff("main", "dev")) == [("changed", "a"), ("removed", "b"), ("added", "d")]
    assert changes(repo.diff("dev", "main")) == [("added", "m")]


def test_two_dot_diff_compares_the_two_trees_directly(repo: Repository) -> None:
    _diverged(repo)
    assert changes(repo.diff("main", "dev", diff_type="two_dot")) == [
        ("changed", "a"),
        ("removed", "b"),
        ("added", "d"),
        ("removed", "m"),
    ]
    assert changes(repo.diff("dev", "main", diff_type="two_dot")) == [
        ("changed", "a"),
        ("added", "b"),
        ("removed", "d"),
        ("added", "m"),
    ]


def test_diff_sizes_are_from_the_right_or_for_removals_the_left(repo: Repository) -> None:
    _diverged(repo)
    sizes = {c.path: c.size_bytes for c in repo.diff("main", "dev")}
    assert sizes == {"a": 2, "b": 1, "d": 1}


def test_diff_ignores_uncommitted_changes(repo: Repository) -> None:
    _diverged(repo)
    repo.put_object("dev", "staged", b"s")
    assert "staged" not in [c.path for c in repo.diff("main", "dev")]


def test_diff_of_a_ref_with_itself_is_empty(repo: Repository) -> None:
    _diverged(repo)
    assert list(repo.diff("dev", "dev")) == []
    assert list(repo.diff("main~1", "main~1", diff_type="two_dot")) == []


def test_diff_prefix_after_and_amount(repo: Repository) -> None:
    commit_files(repo, "main", {"x/1": b"1"}, "base")
    repo.create_branch("dev", "main")
    commit_files(repo, "dev", {"x/1": b"2", "x/2": b"2", "x/3": b"3", "y/1": b"1"}, "work")
    assert changes(repo.diff("main", "dev", prefix="x/")) == [
        ("changed", "x/1"),
        ("added", "x/2"),
        ("added", "x/3"),
    ]
    assert changes(repo.diff("main", "dev", after="x/2")) == [("added", "x/3"), ("added", "y/1")]
    assert changes(repo.diff("main", "dev", amount=1)) == [("changed", "x/1")]


def test_diff_with_metadata_only_change_is_changed(repo: Repository) -> None:
    commit_files(repo, "main", {"a": b"1"})
    repo.put_object("main", "a", b"1", metadata={"note": "x"})
    repo.commit("main", "metadata")
    assert changes(repo.diff("main~1", "main")) == [("changed", "a")]


def test_diff_of_unknown_ref_is_not_found_and_bad_type_is_invalid(repo: Repository) -> None:
    with pytest.raises(NotFoundError):
        list(repo.diff("main", "nope"))
    with pytest.raises(InvalidInputError):
        list(repo.diff("main", "main", diff_type="four_dot"))  # type: ignore[arg-type]
