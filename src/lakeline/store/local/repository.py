"""`LocalRepository`: the store protocol for one repository of the embedded store.

Ties the parts together: refs (refs.py) resolve to commits kept in SQLite (metadata.py),
commits point at Parquet manifests (manifest.py), objects' bytes are blobs (blobs.py), and
diff/merge walk manifests (merge.py). Every write builds its files first and then moves the
branch in one compare-and-swap transaction, so a crash or a racing writer never leaves a
half-done change visible.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from lakeline.errors import (
    AlreadyExistsError,
    ConflictError,
    DirtyBranchError,
    InvalidInputError,
    InvalidRefError,
    MergeConflictError,
    NoChangesError,
    NotFoundError,
    PermissionDeniedError,
)
from lakeline.names import (
    COMMIT_ID,
    COMMIT_ID_PREFIX,
    check_branch_name,
    check_object_path,
    check_tag_name,
)
from lakeline.store.base import (
    Branch,
    Change,
    Commit,
    CommonPrefix,
    Data,
    DiffType,
    MergeStrategy,
    ObjectStats,
    RepositoryInfo,
    Tag,
    Upload,
)
from lakeline.store.local.blobs import BlobRef
from lakeline.store.local.manifest import Entry, Metarange, canonical_metadata, same
from lakeline.store.local.merge import diff_trees, plan_merge
from lakeline.store.local.metadata import MetadataDB
from lakeline.store.refs import parse_ref

if TYPE_CHECKING:
    from lakeline.store.local.store import LocalStore

DEFAULT_CONTENT_TYPE = "application/octet-stream"
MERGE_STRATEGY_KEY = ".lakefs.merge.strategy"
# A commit/merge whose branch moved meanwhile is rebuilt on the new head this many times.
CAS_ATTEMPTS = 20
_PAGE = 1000


@dataclass(frozen=True)
class _Resolved:
    commit: Commit
    branch: str | None  # set when the ref reads a branch together with its staging area


class _HeadMoved(Exception):
    """The branch moved (or gained staged writes) between snapshot and update: retry."""


def commit_id_for(
    committer: str,
    message: str,
    meta_range_id: str,
    creation_date: int,
    metadata: Mapping[str, str],
    parents: Iterable[str],
) -> str:
    """SHA-256 over the commit's canonical content: equal content, equal id (tamper-evident)."""
    canonical = json.dumps(
        {
            "committer": committer,
            "creation_date": creation_date,
            "message": message,
            "meta_range_id": meta_range_id,
            "metadata": dict(metadata),
            "parents": list(parents),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_metadata(metadata: Mapping[str, str] | None, what: str) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidInputError(f"{what} metadata must be a mapping of strings to strings")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidInputError(
                f"{what} metadata must map strings to strings; {key!r}: {value!r} is not "
                "(convert values with str())"
            )
        if not key:
            raise InvalidInputError(f"{what} metadata keys must not be empty")
    return dict(metadata)


def _amount(amount: int | None) -> int | None:
    if amount is not None and (not isinstance(amount, int) or amount < 0):
        raise InvalidInputError(f"invalid amount {amount!r}: expected a non-negative integer")
    return amount


def _next_key_after_prefix(common_prefix: str) -> str:
    """The smallest string greater than every string that starts with ``common_prefix``."""
    return common_prefix[:-1] + chr(ord(common_prefix[-1]) + 1)


class LocalRepository:
    def __init__(self, store: LocalStore, name: str) -> None:
        self._store = store
        self._name = name
        self._db: MetadataDB = store.db
        self._manifests = store.manifests
        self._blobs = store.blobs
        self._commits: dict[str, Commit] = {}

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"LocalRepository({self._name!r}, root={str(self._store.root)!r})"

    def info(self) -> RepositoryInfo:
        info = self._db.get_repository(self._name)
        if info is None:
            raise NotFoundError(f"repository {self._name!r} not found")
        return info

    # --- lookups ------------------------------------------------------------------------------
    def _commit(self, commit_id: str) -> Commit:
        commit = self._commits.get(commit_id)
        if commit is None:
            commit = self._db.get_commit(self._name, commit_id)
            if commit is None:
                raise NotFoundError(f"commit {commit_id} not found in repository {self._name!r}")
            self._commits[commit_id] = commit
        return commit

    def _tree(self, commit: Commit) -> Metarange:
        return self._manifests.read_metarange(commit.meta_range_id)

    def _head(self, branch: str) -> str:
        commit_id = self._db.branch_commit(self._name, branch)
        if commit_id is None:
            self._missing_branch(branch)
        assert commit_id is not None
        return commit_id

    def _missing_branch(self, branch: str) -> None:
        self.info()  # a vanished repository is the better message
        raise NotFoundError(f"branch {branch!r} not found in repository {self._name!r}")

    def _resolve(self, ref: str) -> _Resolved:
        expr = parse_ref(ref)
        base = expr.base
        commit_id: str | None = None
        branch: str | None = None
        if COMMIT_ID.match(base) and self._db.get_commit(self._name, base) is not None:
            commit_id = base
        if commit_id is None:
            commit_id = self._db.branch_commit(self._name, base)
            if commit_id is not None:
                branch = base
        if commit_id is None:
            commit_id = self._db.tag_commit(self._name, base)
        if commit_id is None and COMMIT_ID_PREFIX.match(base):
            matches = self._db.commits_with_prefix(self._name, base)
            if len(matches) > 1:
                raise InvalidRefError(
                    f"ref {ref!r} is ambiguous: several commits start with {base!r}; use more characters"
                )
            if matches:
                commit_id = matches[0]
        if commit_id is None:
            self.info()
            raise NotFoundError(f"ref {ref!r} not found in repository {self._name!r}")
        commit = self._commit(commit_id)
        for kind, n in expr.modifiers:
            if kind == "~":
                for _ in range(n):
                    if not commit.parents:
                        raise NotFoundError(f"ref {ref!r} not found: the history is not that long")
                    commit = self._commit(commit.parents[0])
            elif n > 0:
                if n > len(commit.parents):
                    raise NotFoundError(f"ref {ref!r} not found: commit {commit.id[:12]} has no parent {n}")
                commit = self._commit(commit.parents[n - 1])
        reads_staging = branch is not None and not expr.committed_only and not expr.modifiers
        return _Resolved(commit, branch if reads_staging else None)

    def _lookup(self, resolved: _Resolved, path: str) -> Entry | None:
        if resolved.branch is not None:
            staged = self._db.staged(self._name, resolved.branch, path)
            if staged is not None:
                return staged.entry
        return self._manifests.lookup(self._tree(resolved.commit), path)

    def _stats(self, entry: Entry) -> ObjectStats:
        return ObjectStats(
            path=entry.path,
            checksum=entry.checksum,
            size_bytes=entry.size,
            mtime=entry.mtime,
            content_type=entry.content_type,
            metadata=json.loads(entry.metadata),
            physical_address=self._blobs.address(entry.checksum, entry.size),
        )

    # --- branches -----------------------------------------------------------------------------
    def create_branch(self, name: str, source: str) -> Branch:
        check_branch_name(name)
        commit = self._resolve(source).commit
        with self._db.write() as conn:
            if self._db.branch_commit(self._name, name, conn) is not None:
                raise AlreadyExistsError(f"branch {name!r} already exists in repository {self._name!r}")
            if self._db.tag_commit(self._name, name, conn) is not None:
                raise AlreadyExistsError(
                    f"cannot create branch {name!r}: a tag of that name exists in {self._name!r}"
                )
            conn.execute(
                "INSERT INTO branches (repo, name, commit_id) VALUES (?,?,?)", (self._name, name, commit.id)
            )
        return Branch(name, commit.id)

    def get_branch(self, name: str) -> Branch:
        return Branch(name, self._head(name))

    def list_branches(
        self, *, prefix: str = "", after: str = "", amount: int | None = None
    ) -> Iterator[Branch]:
        self.info()
        rows = self._paged_refs("branches", prefix, after)
        return islice((Branch(n, c) for n, c in rows), _amount(amount))

    def delete_branch(self, name: str) -> None:
        if name == self.info().default_branch:
            raise PermissionDeniedError(
                f"cannot delete branch {name!r}: it is the default branch of repository {self._name!r}"
            )
        with self._db.write() as conn:
            deleted = conn.execute(
                "DELETE FROM branches WHERE repo=? AND name=?", (self._name, name)
            ).rowcount
            if not deleted:
                raise NotFoundError(f"branch {name!r} not found in repository {self._name!r}")
            conn.execute("DELETE FROM staging WHERE repo=? AND branch=?", (self._name, name))

    def reset_branch(self, name: str, path: str | None = None) -> None:
        """Discard staged changes: all, the object at ``path``, or all under ``path`` if it ends in '/'."""
        with self._db.write() as conn:
            if self._db.branch_commit(self._name, name, conn) is None:
                self._missing_branch(name)
            if path is None:
                conn.execute("DELETE FROM staging WHERE repo=? AND branch=?", (self._name, name))
            elif path.endswith("/"):
                conn.execute(
                    "DELETE FROM staging WHERE repo=? AND branch=? AND substr(path,1,?)=?",
                    (self._name, name, len(path), path),
                )
            else:
                check_object_path(path)
                conn.execute(
                    "DELETE FROM staging WHERE repo=? AND branch=? AND path=?", (self._name, name, path)
                )

    def _paged_refs(self, table: str, prefix: str, after: str) -> Iterator[tuple[str, str]]:
        while True:
            rows = self._db.list_refs(table, self._name, prefix, after, _PAGE)
            yield from rows
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    # --- tags ---------------------------------------------------------------------------------
    def create_tag(self, name: str, ref: str) -> Tag:
        check_tag_name(name)
        commit = self._resolve(ref).commit
        with self._db.write() as conn:
            if self._db.tag_commit(self._name, name, conn) is not None:
                raise AlreadyExistsError(
                    f"tag {name!r} already exists in repository {self._name!r} (tags are immutable)"
                )
            if self._db.branch_commit(self._name, name, conn) is not None:
                raise AlreadyExistsError(
                    f"cannot create tag {name!r}: a branch of that name exists in {self._name!r}"
                )
            conn.execute(
                "INSERT INTO tags (repo, name, commit_id) VALUES (?,?,?)", (self._name, name, commit.id)
            )
        return Tag(name, commit.id)

    def get_tag(self, name: str) -> Tag:
        commit_id = self._db.tag_commit(self._name, name)
        if commit_id is None:
            self.info()
            raise NotFoundError(f"tag {name!r} not found in repository {self._name!r}")
        return Tag(name, commit_id)

    def list_tags(self, *, prefix: str = "", after: str = "", amount: int | None = None) -> Iterator[Tag]:
        self.info()
        rows = self._paged_refs("tags", prefix, after)
        return islice((Tag(n, c) for n, c in rows), _amount(amount))

    def delete_tag(self, name: str) -> None:
        with self._db.write() as conn:
            deleted = conn.execute("DELETE FROM tags WHERE repo=? AND name=?", (self._name, name)).rowcount
        if not deleted:
            self.info()
            raise NotFoundError(f"tag {name!r} not found in repository {self._name!r}")

    # --- objects: writing ---------------------------------------------------------------------
    def put_object(
        self,
        branch: str,
        path: str,
        data: Data,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> ObjectStats:
        check_object_path(path)
        meta = canonical_metadata(check_metadata(metadata, f"object {path!r}"))
        ctype = self._content_type(content_type)
        self._head(branch)
        blob = self._write_blob(data, path)
        entry = Entry(path, blob.checksum, blob.size, int(time.time()), ctype, meta)
        self._stage(branch, [(path, entry)], [blob])
        return self._stats(entry)

    def put_objects(
        self, branch: str, uploads: Iterable[Upload], *, workers: int | None = None
    ) -> list[ObjectStats]:
        batch = list(uploads)
        prepared: list[tuple[str, str, str]] = []
        for upload in batch:
            check_object_path(upload.path)
            meta = canonical_metadata(check_metadata(upload.metadata, f"object {upload.path!r}"))
            prepared.append((upload.path, meta, self._content_type(upload.content_type)))
        self._head(branch)
        if not batch:
            return []
        threads = workers or min(32, (os.cpu_count() or 1) * 4)
        blobs = self._blobs.put_files([Path(u.source) for u in batch], threads)
        now = int(time.time())
        entries = [
            Entry(path, blob.checksum, blob.size, now, ctype, meta)
            for (path, meta, ctype), blob in zip(prepared, blobs, strict=True)
        ]
        self._stage(branch, [(e.path, e) for e in entries], blobs)
        return [self._stats(e) for e in entries]

    def _content_type(self, content_type: str | None) -> str:
        if content_type is None or content_type == "":
            return DEFAULT_CONTENT_TYPE
        if not isinstance(content_type, str) or any(ord(ch) < 32 for ch in content_type):
            raise InvalidInputError(f"invalid content type {content_type!r}")
        return content_type

    def _write_blob(self, data: Data, path: str) -> BlobRef:
        if isinstance(data, bytes | bytearray | memoryview):
            return self._blobs.put_bytes(bytes(data) if isinstance(data, bytearray) else data)
        if isinstance(data, Path):
            return self._blobs.put_file(data)
        if isinstance(data, str):
            raise InvalidInputError(
                f"object {path!r}: data must be bytes, a binary stream or a pathlib.Path, not str"
            )
        if hasattr(data, "read"):
            return self._blobs.put_stream(data)
        raise InvalidInputError(f"object {path!r}: data must be bytes, a binary stream or a pathlib.Path")

    def _stage(
        self, branch: str, rows: list[tuple[str, Entry | None]], blobs: Sequence[BlobRef] = ()
    ) -> None:
        """Stage rows and insert the blobs they hold in one transaction: both or neither."""
        with self._db.write() as conn:
            if self._db.branch_commit(self._name, branch, conn) is None:
                self._missing_branch(branch)
            self._blobs.insert_held(conn, blobs)
            self._db.stage(conn, self._name, branch, rows)

    def delete_object(self, branch: str, path: str) -> None:
        check_object_path(path)
        missing = self._delete(branch, [path])
        if missing:
            raise NotFoundError(f"object {path!r} not found on branch {branch!r} of {self._name!r}")

    def delete_objects(self, branch: str, paths: Iterable[str]) -> None:
        """Delete each path; paths that do not exist are skipped (as lakeFS does)."""
        wanted = sorted(set(paths))
        for p in wanted:
            check_object_path(p)
        self._delete(branch, wanted)

    def _delete(self, branch: str, paths: list[str]) -> list[str]:
        missing: list[str] = []
        with self._db.write() as conn:
            head = self._db.branch_commit(self._name, branch, conn)
            if head is None:
                self._missing_branch(branch)
            assert head is not None
            cursor = self._manifests.cursor(self._tree(self._commit(head)))
            tombstones: list[tuple[str, Entry | None]] = []
            unstage: list[str] = []
            for p in sorted(paths):
                committed = cursor.get(p)
                staged = self._db.staged(self._name, branch, p, conn)
                if (staged is not None and staged.entry is None) or (staged is None and committed is None):
                    missing.append(p)
                elif committed is None:
                    unstage.append(p)
                else:
                    tombstones.append((p, None))
            self._db.stage(conn, self._name, branch, tombstones)
            self._db.unstage(conn, self._name, branch, unstage)
        return missing

    # --- objects: reading ---------------------------------------------------------------------
    def stat_object(self, ref: str, path: str) -> ObjectStats:
        return self._stats(self._entry(ref, path))

    def _entry(self, ref: str, path: str) -> Entry:
        check_object_path(path)
        entry = self._lookup(self._resolve(ref), path)
        if entry is None:
            raise NotFoundError(f"object {path!r} not found at {ref!r} in repository {self._name!r}")
        return entry

    def open_object(self, ref: str, path: str) -> BinaryIO:
        entry = self._entry(ref, path)
        what = f"object {path!r} at {ref!r}"
        if entry.size < (1 << 20):
            return io.BytesIO(self._blobs.read(entry.checksum, entry.size, what))
        return self._blobs.open_verified(entry.checksum, entry.size, what)

    def get_object(self, ref: str, path: str) -> bytes:
        entry = self._entry(ref, path)
        return self._blobs.read(entry.checksum, entry.size, f"object {path!r} at {ref!r}")

    def download_object(self, ref: str, path: str, dest: Path) -> ObjectStats:
        entry = self._entry(ref, path)
        self._blobs.copy_verified(entry.checksum, entry.size, f"object {path!r} at {ref!r}", Path(dest))
        return self._stats(entry)

    def list_objects(
        self,
        ref: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        after: str = "",
        amount: int | None = None,
    ) -> Iterator[ObjectStats | CommonPrefix]:
        resolved = self._resolve(ref)
        return islice(self._list(resolved, prefix, delimiter, after), _amount(amount))

    def _list(
        self, resolved: _Resolved, prefix: str, delimiter: str, after: str
    ) -> Iterator[ObjectStats | CommonPrefix]:
        start = prefix
        while True:
            restart: str | None = None
            for entry in self._view(resolved, prefix, start, after):
                if delimiter:
                    cut = entry.path.find(delimiter, len(prefix))
                    if cut != -1:
                        common = entry.path[: cut + len(delimiter)]
                        if common > after:
                            yield CommonPrefix(common)
                        restart = _next_key_after_prefix(common)
                        break
                yield self._stats(entry)
            if restart is None:
                return
            start = restart

    def _view(self, resolved: _Resolved, prefix: str, start: str, after: str) -> Iterator[Entry]:
        """Entries visible at the ref (staging over committed), path >= start, > after, under prefix."""
        committed = (
            e
            for e in self._manifests.iter_entries(self._tree(resolved.commit), start, prefix)
            if e.path > after
        )
        if resolved.branch is None:
            yield from committed
            return
        staged = self._iter_staged(resolved.branch, prefix, start, after)
        c = next(committed, None)
        s = next(staged, None)
        while c is not None or s is not None:
            if s is None or (c is not None and c.path < s.path):
                assert c is not None
                yield c
                c = next(committed, None)
                continue
            if c is not None and c.path == s.path:
                c = next(committed, None)
            if s.entry is not None:
                yield s.entry
            s = next(staged, None)

    def _iter_staged(self, branch: str, prefix: str, start: str, after: str) -> Iterator[_StagedView]:
        while True:
            rows = self._db.staged_page(self._name, branch, after, start, prefix, _PAGE)
            for row in rows:
                yield _StagedView(row.path, row.entry)
            if len(rows) < _PAGE:
                return
            after = rows[-1].path

    # --- commits ------------------------------------------------------------------------------
    def diff_uncommitted(self, branch: str, *, prefix: str = "") -> Iterator[Change]:
        head = self._head(branch)
        return self._uncommitted(branch, head, prefix)

    def _uncommitted(self, branch: str, head: str, prefix: str) -> Iterator[Change]:
        cursor = self._manifests.cursor(self._tree(self._commit(head)))
        for row in self._db.iter_staged(self._name, branch, prefix):
            committed = cursor.get(row.path)
            change = _change(row.path, committed, row.entry)
            if change is not None:
                yield change

    def _is_dirty(self, branch: str, head: str) -> bool:
        return next(self._uncommitted(branch, head, ""), None) is not None

    def commit(
        self,
        branch: str,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        allow_empty: bool = False,
    ) -> Commit:
        meta = check_metadata(metadata, "commit")
        if not isinstance(message, str):
            raise InvalidInputError("commit message must be a string")
        for _ in range(CAS_ATTEMPTS):
            with self._db.read() as conn:
                head = self._db.branch_commit(self._name, branch, conn)
                if head is None:
                    self._missing_branch(branch)
                assert head is not None
                rows = self._db.staging_snapshot(conn, self._name, branch)
            head_commit = self._commit(head)
            tree = self._tree(head_commit)
            cursor = self._manifests.cursor(tree)
            changes: list[tuple[str, Entry | None]] = []
            for row in rows:
                if not same(cursor.get(row.path), row.entry):
                    changes.append((row.path, row.entry))
            if not changes and not allow_empty:
                raise NoChangesError(f"nothing to commit on branch {branch!r}: no uncommitted changes")
            new_tree = self._manifests.apply(tree, changes) if changes else tree
            seq = max((r.seq for r in rows), default=0)
            try:
                return self._write_commit(branch, head_commit, new_tree, message, meta, (), seq, None)
            except _HeadMoved:
                continue
        raise ConflictError(
            f"branch {branch!r} kept moving while committing ({CAS_ATTEMPTS} attempts); try again"
        )

    def _write_commit(
        self,
        branch: str,
        head: Commit,
        tree: Metarange,
        message: str,
        metadata: Mapping[str, str],
        extra_parents: tuple[Commit, ...],
        committed_seq: int,
        clean_since_seq: int | None,
    ) -> Commit:
        """Move ``branch`` from ``head`` to a new commit of ``tree`` in one CAS transaction.

        Staged rows up to ``committed_seq`` are dropped (they are in the commit). When
        ``clean_since_seq`` is set (merge, revert), staged writes newer than it abort the move.
        """
        parents = (head, *extra_parents)
        now = int(time.time())
        creation_date = max(now, *(p.creation_date for p in parents))
        parent_ids = tuple(p.id for p in parents)
        commit_id = commit_id_for(
            self._store.committer, message, tree.id, creation_date, metadata, parent_ids
        )
        commit = Commit(
            id=commit_id,
            parents=parent_ids,
            committer=self._store.committer,
            message=message,
            creation_date=creation_date,
            meta_range_id=tree.id,
            metadata=dict(metadata),
            generation=max(p.generation for p in parents) + 1,
        )
        with self._db.write() as conn:
            current = self._db.branch_commit(self._name, branch, conn)
            if current is None:
                self._missing_branch(branch)
            if current != head.id:
                raise _HeadMoved
            if (
                clean_since_seq is not None
                and self._db.max_staged_seq(conn, self._name, branch) > clean_since_seq
            ):
                raise _HeadMoved
            self._db.insert_commit(conn, self._name, commit)
            conn.execute(
                "UPDATE branches SET commit_id=? WHERE repo=? AND name=?", (commit.id, self._name, branch)
            )
            if committed_seq:
                conn.execute(
                    "DELETE FROM staging WHERE repo=? AND branch=? AND seq<=?",
                    (self._name, branch, committed_seq),
                )
        self._commits[commit.id] = commit
        return commit

    def get_commit(self, ref: str) -> Commit:
        return self._resolve(ref).commit

    def log(
        self,
        ref: str,
        *,
        amount: int | None = None,
        after: str = "",
        first_parent: bool = False,
        prefixes: Iterable[str] = (),
    ) -> Iterator[Commit]:
        start = self._resolve(ref).commit
        wanted = tuple(prefixes)
        if isinstance(prefixes, str):
            wanted = (prefixes,)
        return islice(self._log(start, after, first_parent, wanted), _amount(amount))

    def _log(
        self, start: Commit, after: str, first_parent: bool, prefixes: tuple[str, ...]
    ) -> Iterator[Commit]:
        skipping = bool(after)
        for commit in self._ancestors(start, first_parent):
            if skipping:
                if commit.id == after:
                    skipping = False
                continue
            if prefixes and not self._touches(commit, prefixes):
                continue
            yield commit

    def _ancestors(self, start: Commit, first_parent: bool = False) -> Iterator[Commit]:
        """``start`` and its ancestors, newest generation first (ties: newer time, then id)."""
        heap = [(-start.generation, -start.creation_date, start.id)]
        seen = {start.id}
        while heap:
            _, _, commit_id = heapq.heappop(heap)
            commit = self._commit(commit_id)
            yield commit
            parents = commit.parents[:1] if first_parent else commit.parents
            for parent_id in parents:
                if parent_id not in seen:
                    seen.add(parent_id)
                    parent = self._commit(parent_id)
                    heapq.heappush(heap, (-parent.generation, -parent.creation_date, parent.id))

    def _touches(self, commit: Commit, prefixes: tuple[str, ...]) -> bool:
        tree = self._tree(commit)
        parent = self._tree(self._commit(commit.parents[0])) if commit.parents else self._manifests.empty
        return any(
            next(diff_trees(self._manifests, parent, tree, prefix=p), None) is not None for p in prefixes
        )

    def _merge_base(self, a: Commit, b: Commit) -> Commit | None:
        if a.id == b.id:
            return a
        ancestors_a = {c.id for c in self._ancestors(a)}
        for commit in self._ancestors(b):
            if commit.id in ancestors_a:
                return commit
        return None

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
        if diff_type not in ("two_dot", "three_dot"):
            raise InvalidInputError(f"invalid diff type {diff_type!r}: expected 'two_dot' or 'three_dot'")
        left_commit = self._resolve(left).commit
        right_commit = self._resolve(right).commit
        if diff_type == "three_dot":
            base = self._merge_base(left_commit, right_commit)
            left_tree = self._tree(base) if base is not None else self._manifests.empty
        else:
            left_tree = self._tree(left_commit)
        changes = (
            _change(c.path, c.left, c.right)
            for c in diff_trees(
                self._manifests, left_tree, self._tree(right_commit), start=after, prefix=prefix
            )
            if c.path != after
        )
        return islice((c for c in changes if c is not None), _amount(amount))

    def merge(
        self,
        source: str,
        destination: str,
        *,
        message: str | None = None,
        metadata: Mapping[str, str] | None = None,
        strategy: MergeStrategy | None = None,
    ) -> Commit:
        if strategy not in (None, "dest-wins", "source-wins"):
            raise InvalidInputError(
                f"invalid merge strategy {strategy!r}: expected 'dest-wins' or 'source-wins'"
            )
        meta = check_metadata(metadata, "merge")
        meta[MERGE_STRATEGY_KEY] = strategy or "default"
        text = message if message else f"Merge '{source}' into '{destination}'"
        for _ in range(CAS_ATTEMPTS):
            with self._db.read() as conn:
                head_id = self._db.branch_commit(self._name, destination, conn)
                if head_id is None:
                    self._missing_branch(destination)
                assert head_id is not None
                seq = self._db.max_staged_seq(conn, self._name, destination)
            source_commit = self._resolve(source).commit
            head = self._commit(head_id)
            if self._is_dirty(destination, head_id):
                raise DirtyBranchError(
                    f"cannot merge into {destination!r}: it has uncommitted changes; "
                    "commit or reset them first"
                )
            base = self._merge_base(head, source_commit)
            base_tree = self._tree(base) if base is not None else self._manifests.empty
            dest_tree = self._tree(head)
            plan = plan_merge(self._manifests, base_tree, self._tree(source_commit), dest_tree, strategy)
            if not plan.source_changed:
                raise NoChangesError(
                    f"nothing to merge: {source!r} has no changes that {destination!r} lacks"
                )
            if plan.conflicts:
                raise MergeConflictError(
                    f"cannot merge {source!r} into {destination!r}: conflicting paths", plan.conflicts
                )
            tree = self._manifests.apply(dest_tree, plan.changes) if plan.changes else dest_tree
            try:
                return self._write_commit(destination, head, tree, text, meta, (source_commit,), 0, seq)
            except _HeadMoved:
                continue
        raise ConflictError(
            f"branch {destination!r} kept moving while merging ({CAS_ATTEMPTS} attempts); try again"
        )

    def revert(
        self,
        branch: str,
        ref: str,
        *,
        parent_number: int = 0,
        message: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Commit:
        meta = check_metadata(metadata, "revert")
        self._head(branch)
        target = self._resolve(ref).commit
        parents = target.parents
        if not isinstance(parent_number, int) or parent_number < 0 or parent_number > max(len(parents), 1):
            raise InvalidInputError(
                f"invalid parent_number {parent_number!r} for {ref!r}: it has {len(parents)} parent(s)"
            )
        if len(parents) > 1 and parent_number == 0:
            raise InvalidInputError(
                f"cannot revert {ref!r}: it is a merge commit; pass parent_number (1-{len(parents)})"
            )
        # A root commit's "parent" is the empty tree (lakeFS does the same).
        parent_tree = (
            self._tree(self._commit(parents[max(parent_number, 1) - 1])) if parents else self._manifests.empty
        )
        text = message if message else f"Revert {ref}"
        for _ in range(CAS_ATTEMPTS):
            with self._db.read() as conn:
                head_id = self._db.branch_commit(self._name, branch, conn)
                if head_id is None:
                    self._missing_branch(branch)
                assert head_id is not None
                seq = self._db.max_staged_seq(conn, self._name, branch)
            if self._is_dirty(branch, head_id):
                raise DirtyBranchError(
                    f"cannot revert on {branch!r}: it has uncommitted changes; commit or reset them first"
                )
            head = self._commit(head_id)
            dest_tree = self._tree(head)
            plan = plan_merge(self._manifests, self._tree(target), parent_tree, dest_tree, None)
            if not plan.source_changed:
                raise NoChangesError(f"nothing to revert: {ref!r} changed no objects")
            if plan.conflicts:
                raise MergeConflictError(
                    f"cannot revert {ref!r} on {branch!r}: later commits changed the same paths",
                    plan.conflicts,
                )
            tree = self._manifests.apply(dest_tree, plan.changes) if plan.changes else dest_tree
            if tree.id == dest_tree.id:
                raise NoChangesError(f"nothing to revert: {branch!r} already lacks the changes of {ref!r}")
            try:
                return self._write_commit(branch, head, tree, text, meta, (), 0, seq)
            except _HeadMoved:
                continue
        raise ConflictError(
            f"branch {branch!r} kept moving while reverting ({CAS_ATTEMPTS} attempts); try again"
        )


@dataclass(frozen=True, slots=True)
class _StagedView:
    path: str
    entry: Entry | None


def _change(path: str, left: Entry | None, right: Entry | None) -> Change | None:
    if same(left, right):
        return None
    if left is None:
        assert right is not None
        return Change("added", path, right.size)
    if right is None:
        return Change("removed", path, left.size)
    return Change("changed", path, right.size)
