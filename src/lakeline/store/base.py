"""The store protocol: the one interface everything above the store uses.

Shaped like lakeFS's API so each call maps 1:1 onto a lakeFS endpoint: a `Store` holds
repositories; a `Repository` holds branches (pointer + staging area), immutable commits,
tags and objects. Two backends implement it and pass one contract suite (tests/contract/):
`lakeline.store.local` (embedded, the default) and `lakeline.store.lakefs` (lakefs-sdk).

Listing calls return iterators that page internally (``after`` is exclusive, ``amount`` caps
the total); callers never see pages. Errors are the typed ones in `lakeline.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal, Protocol, runtime_checkable

ChangeType = Literal["added", "removed", "changed"]
MergeStrategy = Literal["dest-wins", "source-wins"]
DiffType = Literal["two_dot", "three_dot"]
Data = bytes | BinaryIO | Path


@dataclass(frozen=True)
class RepositoryInfo:
    name: str
    default_branch: str
    storage_namespace: str
    creation_date: int  # Unix seconds


@dataclass(frozen=True)
class Branch:
    name: str
    commit_id: str


@dataclass(frozen=True)
class Tag:
    name: str
    commit_id: str


@dataclass(frozen=True)
class Commit:
    id: str
    parents: tuple[str, ...]
    committer: str
    message: str
    creation_date: int  # Unix seconds
    meta_range_id: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    generation: int = 0


@dataclass(frozen=True)
class ObjectStats:
    path: str
    checksum: str
    size_bytes: int
    mtime: int  # Unix seconds
    content_type: str = "application/octet-stream"
    metadata: Mapping[str, str] = field(default_factory=dict)
    physical_address: str = ""


@dataclass(frozen=True)
class CommonPrefix:
    """A 'directory' in a delimited listing: every object under ``path`` (which ends in '/')."""

    path: str


@dataclass(frozen=True)
class Change:
    """One entry of a diff: ``path`` was added/removed/changed going from left to right."""

    type: ChangeType
    path: str
    size_bytes: int | None = None  # size on the right side (left side for 'removed')


@dataclass(frozen=True)
class Upload:
    """One object of a batch upload (`Repository.put_objects`)."""

    path: str
    source: Path
    metadata: Mapping[str, str] | None = None
    content_type: str | None = None


@runtime_checkable
class Repository(Protocol):
    """One repository. ``ref`` arguments take any ref expression (see docs/concepts.md)."""

    @property
    def name(self) -> str: ...

    def info(self) -> RepositoryInfo: ...

    # --- branches -------------------------------------------------------------------------
    def create_branch(self, name: str, source: str) -> Branch:
        """Create ``name`` pointing at ``source``'s commit; copies nothing."""
        ...

    def get_branch(self, name: str) -> Branch: ...

    def list_branches(
        self, *, prefix: str = "", after: str = "", amount: int | None = None
    ) -> Iterator[Branch]: ...

    def delete_branch(self, name: str) -> None:
        """Delete a branch (not the default one: PermissionDeniedError)."""
        ...

    def reset_branch(self, name: str, path: str | None = None) -> None:
        """Discard the branch's uncommitted changes (all of them, or one ``path``/prefix)."""
        ...

    # --- tags -----------------------------------------------------------------------------
    def create_tag(self, name: str, ref: str) -> Tag: ...

    def get_tag(self, name: str) -> Tag: ...

    def list_tags(self, *, prefix: str = "", after: str = "", amount: int | None = None) -> Iterator[Tag]: ...

    def delete_tag(self, name: str) -> None: ...

    # --- objects --------------------------------------------------------------------------
    def put_object(
        self,
        branch: str,
        path: str,
        data: Data,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> ObjectStats:
        """Stage one object from bytes, a readable binary stream or a local file path."""
        ...

    def put_objects(
        self, branch: str, uploads: Iterable[Upload], *, workers: int | None = None
    ) -> list[ObjectStats]:
        """Stage many local files at once (parallel, batched); returns stats in input order."""
        ...

    def delete_object(self, branch: str, path: str) -> None: ...

    def delete_objects(self, branch: str, paths: Iterable[str]) -> None: ...

    def stat_object(self, ref: str, path: str) -> ObjectStats: ...

    def open_object(self, ref: str, path: str) -> BinaryIO:
        """A binary stream of the object's bytes; checksum-verified (CorruptObjectError)."""
        ...

    def get_object(self, ref: str, path: str) -> bytes: ...

    def download_object(self, ref: str, path: str, dest: Path) -> ObjectStats:
        """Write the object to ``dest`` atomically (temp file + rename), verified."""
        ...

    def list_objects(
        self,
        ref: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        after: str = "",
        amount: int | None = None,
    ) -> Iterator[ObjectStats | CommonPrefix]: ...

    # --- commits --------------------------------------------------------------------------
    def diff_uncommitted(self, branch: str, *, prefix: str = "") -> Iterator[Change]: ...

    def commit(
        self,
        branch: str,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        allow_empty: bool = False,
    ) -> Commit:
        """Commit the branch's staging area; NoChangesError if empty unless ``allow_empty``."""
        ...

    def get_commit(self, ref: str) -> Commit:
        """The commit a ref expression resolves to (a branch's head, a tag's target, ...)."""
        ...

    def log(
        self,
        ref: str,
        *,
        amount: int | None = None,
        after: str = "",
        first_parent: bool = False,
        prefixes: Iterable[str] = (),
    ) -> Iterator[Commit]:
        """Ancestors of ``ref``, newest generation first; ``prefixes`` keeps commits touching them."""
        ...

    def diff(
        self,
        left: str,
        right: str,
        *,
        prefix: str = "",
        diff_type: DiffType = "three_dot",
        after: str = "",
        amount: int | None = None,
    ) -> Iterator[Change]:
        """Changes from ``left`` to ``right`` (committed states; three-dot: from their merge base)."""
        ...

    def merge(
        self,
        source: str,
        destination: str,
        *,
        message: str | None = None,
        metadata: Mapping[str, str] | None = None,
        strategy: MergeStrategy | None = None,
    ) -> Commit:
        """Three-way merge of ``source`` (any ref) into branch ``destination``; always a merge
        commit with parents [dest head, source]. MergeConflictError names the paths and writes
        nothing; a dirty destination is DirtyBranchError; nothing to merge is NoChangesError."""
        ...

    def revert(
        self,
        branch: str,
        ref: str,
        *,
        parent_number: int = 0,
        message: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Commit:
        """Commit the inverse of ``ref``'s change onto ``branch`` (``parent_number`` for merges)."""
        ...


@runtime_checkable
class Store(Protocol):
    """A place that holds repositories: the embedded store root, or one lakeFS server."""

    def create_repository(
        self, name: str, *, default_branch: str = "main", storage_namespace: str | None = None
    ) -> Repository: ...

    def repository(self, name: str) -> Repository:
        """An existing repository (NotFoundError otherwise)."""
        ...

    def list_repositories(self) -> Iterator[RepositoryInfo]: ...

    def delete_repository(self, name: str) -> None: ...

    def close(self) -> None: ...
