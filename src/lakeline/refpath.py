"""Parsing ``REF/PATH`` arguments and ``lakefs://REPO/REF/PATH`` URIs, in one place.

A ref never contains ``/`` (branch, tag and commit-id rules forbid it), so the first ``/``
splits the ref from the object path. Only the shape is checked here; whether the ref exists
and what it resolves to is the store's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakeline.errors import InvalidPathError, InvalidRefError
from lakeline.names import check_branch_name, check_object_path

LAKEFS_SCHEME = "lakefs://"


@dataclass(frozen=True)
class RefPath:
    """A ref and an object path or prefix inside it (``path`` is ``""`` for the whole ref)."""

    ref: str
    path: str = ""

    @property
    def is_prefix(self) -> bool:
        """True when ``path`` names a folder-like prefix (empty, or ending in ``/``)."""
        return self.path == "" or self.path.endswith("/")

    def __str__(self) -> str:
        return f"{self.ref}/{self.path}" if self.path else self.ref


def parse_ref_path(text: str, *, repository: str | None = None) -> RefPath:
    """Split ``REF[/PATH]`` or ``lakefs://REPO/REF[/PATH]``; ``PATH`` may be a prefix.

    ``repository`` is the project's repository: a URI naming another one is refused, since
    a project talks to exactly one repository.
    """
    rest = text
    if text.startswith(LAKEFS_SCHEME):
        repo, sep, rest = text[len(LAKEFS_SCHEME) :].partition("/")
        if not repo or not sep:
            raise InvalidRefError(
                f"invalid URI {text!r}: expected lakefs://REPOSITORY/REF[/PATH], "
                f"e.g. lakefs://{repository or 'repo'}/main/data.csv"
            )
        if repository is not None and repo != repository:
            raise InvalidRefError(
                f"URI {text!r} names repository {repo!r}, but this project uses {repository!r}: "
                f"use lakefs://{repository}/... or a plain REF/PATH"
            )
    ref, _, path = rest.partition("/")
    _check_ref_shape(ref, text)
    if path:
        check_prefix(path)
    return RefPath(ref, path)


def parse_object_path(text: str, *, repository: str | None = None) -> RefPath:
    """``REF/PATH`` naming one object: the path must be present and must not end in ``/``."""
    ref_path = parse_ref_path(text, repository=repository)
    if ref_path.is_prefix:
        raise InvalidPathError(f"{text!r} names no object: expected REF/PATH, e.g. main/data/train.csv")
    return ref_path


def parse_branch_path(text: str, *, repository: str | None = None) -> RefPath:
    """``BRANCH[/PATH]`` for writes: the ref must be a plain branch name (no ``~``, ``@``...)."""
    ref_path = parse_ref_path(text, repository=repository)
    check_branch_name(ref_path.ref)
    return ref_path


def check_prefix(prefix: str) -> str:
    """An object path, or a prefix of one: a trailing ``/`` and a partial last part are fine."""
    if prefix:
        check_object_path(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def _check_ref_shape(ref: str, text: str) -> None:
    if not ref:
        raise InvalidRefError(f"missing ref in {text!r}: expected REF/PATH, e.g. main/data/train.csv")
    if any(ch.isspace() or ord(ch) < 0x20 or ch == "\x7f" for ch in ref):
        raise InvalidRefError(
            f"invalid ref {ref!r} in {text!r}: refs contain no spaces or control characters"
        )
