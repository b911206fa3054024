"""`REF/PATH` and `lakefs://REPO/REF/PATH` parsing (lakeline.refpath)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeline.errors import InvalidNameError, InvalidPathError, InvalidRefError
from lakeline.refpath import RefPath, check_prefix, parse_branch_path, parse_object_path, parse_ref_path

branch_names = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_-]{0,20}\Z")
path_parts = st.from_regex(r"\A[A-Za-z0-9_.=+ -]{1,12}\Z").filter(lambda p: p not in (".", ".."))
object_paths = st.lists(path_parts, min_size=1, max_size=4).map("/".join)


def test_first_slash_splits_ref_from_path() -> None:
    assert parse_ref_path("main/data/raw/users.csv") == RefPath("main", "data/raw/users.csv")


def test_ref_alone_names_the_whole_ref_as_a_prefix() -> None:
    parsed = parse_ref_path("main~2")
    assert parsed == RefPath("main~2", "")
    assert parsed.is_prefix


def test_trailing_slash_makes_a_prefix() -> None:
    parsed = parse_ref_path("v1.0/data/")
    assert parsed == RefPath("v1.0", "data/")
    assert parsed.is_prefix
    assert not parse_ref_path("v1.0/data").is_prefix


def test_ref_modifiers_stay_with_the_ref() -> None:
    assert parse_ref_path("main@/a.csv") == RefPath("main@", "a.csv")
    assert parse_ref_path("exp-x^2~3/models/m.pkl") == RefPath("exp-x^2~3", "models/m.pkl")


def test_lakefs_uri_of_the_project_repository_is_the_same_as_a_plain_ref_path() -> None:
    repo = "repo-one"
    assert parse_ref_path(f"lakefs://{repo}/main/a/b.csv", repository=repo) == RefPath("main", "a/b.csv")
    assert parse_ref_path(f"lakefs://{repo}/main", repository=repo) == RefPath("main", "")


def test_lakefs_uri_of_another_repository_is_refused_naming_both() -> None:
    with pytest.raises(InvalidRefError, match=r"'other'.*'mine'"):
        parse_ref_path("lakefs://other/main/a.csv", repository="mine")


@pytest.mark.parametrize("text", ["lakefs://", "lakefs://repo", "lakefs:///main/a"])
def test_lakefs_uri_without_repository_or_ref_is_refused(text: str) -> None:
    with pytest.raises(InvalidRefError):
        parse_ref_path(text, repository="repo")


@pytest.mark.parametrize("text", ["", "/data/a.csv", "lakefs://repo//a.csv"])
def test_missing_ref_is_refused(text: str) -> None:
    with pytest.raises(InvalidRefError, match="missing ref"):
        parse_ref_path(text, repository="repo")


@pytest.mark.parametrize("text", ["ma in/a.csv", "main\t/a.csv", "main\x00/a"])
def test_refs_with_spaces_or_control_characters_are_refused(text: str) -> None:
    with pytest.raises(InvalidRefError):
        parse_ref_path(text)


@pytest.mark.parametrize(
    "text", ["main/../etc/passwd", "main/a/../../b", "main/a//b", "main/./a", "main/a\\b", "main/a\x00b"]
)
def test_unsafe_paths_are_refused(text: str) -> None:
    with pytest.raises(InvalidPathError):
        parse_ref_path(text)


def test_object_path_must_name_an_object_not_a_prefix() -> None:
    assert parse_object_path("main/a.csv") == RefPath("main", "a.csv")
    with pytest.raises(InvalidPathError, match="names no object"):
        parse_object_path("main/data/")
    with pytest.raises(InvalidPathError, match="names no object"):
        parse_object_path("main")


def test_branch_path_requires_a_plain_branch_name() -> None:
    assert parse_branch_path("exp-a/x.csv") == RefPath("exp-a", "x.csv")
    for text in ("main~1/x.csv", "main@/x.csv", "v1.0/x.csv", "-bad/x"):
        with pytest.raises(InvalidNameError):
            parse_branch_path(text)


def test_prefix_may_be_partial_but_not_unsafe() -> None:
    assert check_prefix("") == ""
    assert check_prefix("data/tr") == "data/tr"
    assert check_prefix("data/") == "data/"
    with pytest.raises(InvalidPathError):
        check_prefix("../")
    with pytest.raises(InvalidPathError):
        check_prefix("/abs")


@given(branch=branch_names, path=object_paths)
def test_parsing_round_trips_any_valid_branch_and_path(branch: str, path: str) -> None:
    parsed = parse_ref_path(f"{branch}/{path}")
    assert parsed == RefPath(branch, path)
    assert str(parsed) == f"{branch}/{path}"
    assert parse_ref_path(f"lakefs://repo/{branch}/{path}", repository="repo") == parsed
