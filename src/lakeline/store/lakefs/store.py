"""`LakeFSStore` and `LakeFSRepository`: the store protocol over a lakeFS server.

Metadata goes through lakefs-sdk's API classes and models; object bytes go through
`transfer` (streamed, pre-signed when the server supports it). Every listing pages with
``after``/``next_offset`` until lakeFS says there is no more. Names and paths are checked with
`lakeline.names` first, so both backends reject the same input with the same error class.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import lakefs_sdk

from lakeline.errors import (
    ConfigError,
    ConflictError,
    InvalidInputError,
    MergeConflictError,
    NotFoundError,
    StoreUnavailableError,
)
from lakeline.names import (
    BRANCH_NAME,
    check_branch_name,
    check_object_path,
    check_repository_name,
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
from lakeline.store.lakefs import transfer
from lakeline.store.lakefs.client import LakeFSClient
from lakeline.store.lakefs.errors import translate
from lakeline.store.lakefs_config import resolve_settings
from lakeline.store.refs import parse_ref

PAGE = 1000  # lakeFS's maximum page size
DELETE_BATCH = 1000  # lakeFS's maximum paths per delete_objects call
DEFAULT_CONTENT_TYPE = "application/octet-stream"
MAX_CONFLICTS = 1000  # conflict paths collected for a MergeConflictError
PRESIGNED_PUT_MAX = 5 << 30  # the most one pre-signed PUT may carry (S3's single-PUT limit)
_CHANGE_TYPES = {"added", "removed", "changed"}


def paginate(
    fetch: Callable[[str, int], Any], *, after: str = "", amount: int | None = None
) -> Iterator[Any]:
    """Every result of a paged lakeFS listing. ``fetch(after, page_amount)`` returns a model with
    ``results`` and ``pagination``; never assumes one page, never loops on a stuck cursor."""
    remaining = amount
    cursor = after
    while remaining is None or remaining > 0:
        page_amount = PAGE if remaining is None else min(PAGE, remaining)
        page = fetch(cursor, page_amount)
        yield from page.results
        if remaining is not None:
            remaining -= len(page.results)
        if not page.pagination.has_more or not page.results:
            return
        next_cursor = page.pagination.next_offset
        if not next_cursor or next_cursor == cursor:
            raise StoreUnavailableError(
                f"lakeFS pagination did not advance past {cursor!r}: the server's listing is broken"
            )
        cursor = next_cursor


def _stats(model: Any) -> ObjectStats:
    return ObjectStats(
        path=model.path,
        checksum=model.checksum,
        size_bytes=int(model.size_bytes or 0),
        mtime=int(model.mtime),
        content_type=model.content_type or DEFAULT_CONTENT_TYPE,
        metadata=dict(model.metadata or {}),
        physical_address=model.physical_address,
    )


def _commit(model: Any) -> Commit:
    return Commit(
        id=model.id,
        parents=tuple(model.parents),
        committer=model.committer,
        message=model.message,
        creation_date=int(model.creation_date),
        meta_range_id=model.meta_range_id,
        metadata=dict(model.metadata or {}),
        generation=int(model.generation or 0),
    )


def _change(model: Any) -> Change | None:
    if model.path_type != "object" or model.type not in _CHANGE_TYPES:
        return None
    size = int(model.size_bytes) if model.size_bytes is not None else None
    return Change(type=model.type, path=model.path, size_bytes=size)


def _info(model: Any) -> RepositoryInfo:
    return RepositoryInfo(
        name=model.id,
        default_branch=model.default_branch,
        storage_namespace=model.storage_namespace,
        creation_date=int(model.creation_date),
    )


def _ref(ref: str) -> str:
    """A ref expression, checked with the embedded store's parser so that malformed refs are
    InvalidRefError on both backends (and never become a broken URL)."""
    parse_ref(ref)
    return ref


def _check_metadata(metadata: Mapping[str, str] | None, what: str) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidInputError(f"{what} metadata must be a mapping of strings to strings")
    result = dict(metadata)
    for key, value in result.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise InvalidInputError(
                f"{what} metadata must map non-empty strings to strings; {key!r}: {value!r} is not "
                "(convert values with str())"
            )
    return result


class LakeFSRepository:
    """One lakeFS repository behind the store protocol."""

    def __init__(self, store: LakeFSStore, name: str) -> None:
        self._store = store
        self._client = store.client
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"LakeFSRepository({self._name!r} at {self._client.settings.server_url})"

    def _where(self) -> str:
        return f"lakeFS repository '{self._name}'"

    def _branch(self, name: str) -> str:
        """A branch argument: a name that breaks the branch rule cannot exist (and must not
        become a broken URL), so it is not found."""
        if not isinstance(name, str) or not BRANCH_NAME.fullmatch(name):
            raise NotFoundError(f"branch {name!r} not found in {self._where()}")
        return name

    def _tag(self, name: str) -> str:
        if not isinstance(name, str) or not name or "/" in name:
            raise NotFoundError(f"tag {name!r} not found in {self._where()}")
        return name

    def info(self) -> RepositoryInfo:
        c = self._client
        return _info(c.call(f"read {self._where()}", c.repositories.get_repository, self._name))

    # --- branches ---------------------------------------------------------------------------
    def create_branch(self, name: str, source: str) -> Branch:
        check_branch_name(name)
        c = self._client
        creation = lakefs_sdk.BranchCreation(name=name, source=_ref(source))
        commit_id = c.call(
            f"create branch '{name}' from '{source}' in {self._where()}",
            c.branches.create_branch,
            self._name,
            creation,
            idempotent=False,
        )
        return Branch(name=name, commit_id=str(commit_id).strip())

    def get_branch(self, name: str) -> Branch:
        c = self._client
        ref = c.call(
            f"read branch '{name}' of {self._where()}", c.branches.get_branch, self._name, self._branch(name)
        )
        return Branch(name=ref.id, commit_id=ref.commit_id)

    def list_branches(
        self, *, prefix: str = "", after: str = "", amount: int | None = None
    ) -> Iterator[Branch]:
        c = self._client

        def fetch(cursor: str, page: int) -> Any:
            return c.call(
                f"list branches of {self._where()}",
                c.branches.list_branches,
                self._name,
                prefix=prefix or None,
                after=cursor or None,
                amount=page,
            )

        for ref in paginate(fetch, after=after, amount=amount):
            yield Branch(name=ref.id, commit_id=ref.commit_id)

    def delete_branch(self, name: str) -> None:
        c = self._client
        c.call(
            f"delete branch '{name}' of {self._where()}",
            c.branches.delete_branch,
            self._name,
            self._branch(name),
        )

    def reset_branch(self, name: str, path: str | None = None) -> None:
        c = self._client
        if path is None:
            creation = lakefs_sdk.ResetCreation(type="reset")
            what = f"reset branch '{name}' of {self._where()}"
        elif path.endswith("/"):
            creation = lakefs_sdk.ResetCreation(type="common_prefix", path=path)
            what = f"reset '{path}' on branch '{name}' of {self._where()}"
        else:
            creation = lakefs_sdk.ResetCreation(type="object", path=check_object_path(path))
            what = f"reset '{path}' on branch '{name}' of {self._where()}"
        c.call(what, c.branches.reset_branch, self._name, self._branch(name), creation)

    # --- tags -----------------------------------------------------------------------------
    def create_tag(self, name: str, ref: str) -> Tag:
        check_tag_name(name)
        c = self._client
        created = c.call(
            f"create tag '{name}' at '{ref}' in {self._where()}",
            c.tags.create_tag,
            self._name,
            lakefs_sdk.TagCreation(id=name, ref=_ref(ref)),
            idempotent=False,
        )
        return Tag(name=created.id, commit_id=created.commit_id)

    def get_tag(self, name: str) -> Tag:
        c = self._client
        ref = c.call(f"read tag '{name}' of {self._where()}", c.tags.get_tag, self._name, self._tag(name))
        return Tag(name=ref.id, commit_id=ref.commit_id)

    def list_tags(self, *, prefix: str = "", after: str = "", amount: int | None = None) -> Iterator[Tag]:
        c = self._client

        def fetch(cursor: str, page: int) -> Any:
            return c.call(
                f"list tags of {self._where()}",
                c.tags.list_tags,
                self._name,
                prefix=prefix or None,
                after=cursor or None,
                amount=page,
            )

        for ref in paginate(fetch, after=after, amount=amount):
            yield Tag(name=ref.id, commit_id=ref.commit_id)

    def delete_tag(self, name: str) -> None:
        c = self._client
        c.call(f"delete tag '{name}' of {self._where()}", c.tags.delete_tag, self._name, self._tag(name))

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
        check_object_path(path)
        self._branch(branch)
        meta = _check_metadata(metadata, f"object {path!r}")
        if isinstance(data, str):
            raise InvalidInputError(
                f"object {path!r}: data must be bytes, a binary stream or a pathlib.Path, not str"
            )
        with transfer.source_of(data) as source:
            return self._upload(branch, path, source, meta, content_type or DEFAULT_CONTENT_TYPE)

    def _upload(
        self,
        branch: str,
        path: str,
        source: transfer.Source,
        metadata: dict[str, str],
        content_type: str,
    ) -> ObjectStats:
        c = self._client
        what = f"upload '{path}' to branch '{branch}' of {self._where()}"
        # One pre-signed PUT carries at most 5 GiB (S3's single-PUT limit); bigger objects go
        # through lakeFS, which uploads them to the object store in parts.
        if c.presign_supported() and source.size <= PRESIGNED_PUT_MAX:
            location = c.call(what, c.staging.get_physical_address, self._name, branch, path, presign=True)
            if not location.presigned_url:
                raise ConfigError(f"{what}: lakeFS announced pre-signing but gave no pre-signed URL")
            md5 = transfer.upload_presigned(
                c,
                presigned_url=location.presigned_url,
                source=source,
                what=what,
                blockstore=c.blockstore_type(),
            )
            staged = c.call(
                what,
                c.staging.link_physical_address,
                self._name,
                branch,
                path,
                lakefs_sdk.StagingMetadata(
                    staging=location,
                    checksum=md5,
                    size_bytes=source.size,
                    user_metadata=metadata,
                    content_type=content_type,
                ),
                # A repeated link of a consumed address is refused: repeat only if not acted on.
                idempotent=False,
            )
            return _stats(staged)
        in_headers = transfer.headers_can_carry(metadata)
        raw_stats, _ = transfer.upload_api(
            c,
            repository=self._name,
            branch=branch,
            path=path,
            source=source,
            metadata=metadata if in_headers else {},
            content_type=content_type,
        )
        if not in_headers:
            # Headers would lowercase keys / mangle non-ASCII values: set them exactly instead.
            c.call(
                what,
                c.objects.update_object_user_metadata,
                self._name,
                branch,
                path,
                lakefs_sdk.UpdateObjectUserMetadata(set=metadata),
            )
            raw_stats["metadata"] = metadata
        return _stats(lakefs_sdk.ObjectStats.from_dict(raw_stats))

    def put_objects(
        self, branch: str, uploads: Iterable[Upload], *, workers: int | None = None
    ) -> list[ObjectStats]:
        items = list(uploads)
        for item in items:
            check_object_path(item.path)
        if not items:
            return []
        if workers is None:
            workers = min(16, len(items))
        if workers <= 1:
            return [
                self.put_object(
                    branch, u.path, Path(u.source), metadata=u.metadata, content_type=u.content_type
                )
                for u in items
            ]
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lakeline-upload")
        try:
            futures = [
                pool.submit(
                    self.put_object,
                    branch,
                    u.path,
                    Path(u.source),
                    metadata=u.metadata,
                    content_type=u.content_type,
                )
                for u in items
            ]
            return [future.result() for future in futures]
        finally:
            # On the first failure, drop what has not started; let running uploads finish.
            pool.shutdown(wait=True, cancel_futures=True)

    def delete_object(self, branch: str, path: str) -> None:
        check_object_path(path)
        # lakeFS deletes a missing path silently; the protocol says NotFoundError.
        self.stat_object(self._branch(branch), path)
        c = self._client
        c.call(
            f"delete '{path}' on branch '{branch}' of {self._where()}",
            c.objects.delete_object,
            self._name,
            branch,
            path,
        )

    def delete_objects(self, branch: str, paths: Iterable[str]) -> None:
        self._branch(branch)
        c = self._client
        batch_iter = iter(paths)
        while batch := list(itertools.islice(batch_iter, DELETE_BATCH)):
            for path in batch:
                check_object_path(path)
            what = f"delete {len(batch)} objects on branch '{branch}' of {self._where()}"
            result = c.call(
                what, c.objects.delete_objects, self._name, branch, lakefs_sdk.PathList(paths=batch)
            )
            if result is not None and result.errors:
                first = result.errors[0]
                detail = f"{first.message} ({len(result.errors)} paths failed, first '{first.path}')"
                raise translate(int(first.status_code), detail, what)

    def stat_object(self, ref: str, path: str) -> ObjectStats:
        return _stats(self._stat(ref, path, presign=False))

    def _stat(self, ref: str, path: str, *, presign: bool) -> Any:
        check_object_path(path)
        _ref(ref)
        c = self._client
        return c.call(
            f"stat '{path}' at '{ref}' in {self._where()}",
            c.objects.stat_object,
            self._name,
            ref,
            path,
            presign=True if presign else None,
        )

    def _open(self, ref: str, path: str, *, need_stats: bool) -> tuple[ObjectStats | None, BinaryIO]:
        _ref(ref)
        """A verified reader, and the object's stats when asked for (or when they cost nothing).

        Pre-signed: ``stat?presign=true`` gives size, checksum and the URL in one call. Through
        the API: one GET, verified against its ETag and Content-Length (a stat only if the
        caller wants full stats)."""
        check_object_path(path)
        c = self._client
        if c.presign_supported():
            stat = self._stat(ref, path, presign=True)
            reader = transfer.open_reader(
                c,
                repository=self._name,
                ref=ref,
                path=path,
                size=stat.size_bytes,
                checksum=stat.checksum,
                presigned_url=stat.physical_address,
            )
            # The pre-signed URL is a short-lived bearer link: it is not the physical address.
            return dataclasses.replace(_stats(stat), physical_address=""), reader
        known = self.stat_object(ref, path) if need_stats else None
        reader = transfer.open_reader(
            c,
            repository=self._name,
            ref=ref,
            path=path,
            size=known.size_bytes if known else None,
            checksum=known.checksum if known else None,
            presigned_url=None,
        )
        return known, reader

    def open_object(self, ref: str, path: str) -> BinaryIO:
        return self._open(ref, path, need_stats=False)[1]

    def get_object(self, ref: str, path: str) -> bytes:
        with self.open_object(ref, path) as reader:
            return reader.read()

    def download_object(self, ref: str, path: str, dest: Path) -> ObjectStats:
        stats, reader = self._open(ref, path, need_stats=True)
        transfer.download_to(reader, Path(dest))
        assert stats is not None
        return stats

    def list_objects(
        self,
        ref: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        after: str = "",
        amount: int | None = None,
    ) -> Iterator[ObjectStats | CommonPrefix]:
        _ref(ref)
        c = self._client

        def fetch(cursor: str, page: int) -> Any:
            return c.call(
                f"list objects at '{ref}' in {self._where()}",
                c.objects.list_objects,
                self._name,
                ref,
                prefix=prefix or None,
                delimiter=delimiter or None,
                after=cursor or None,
                amount=page,
            )

        for item in paginate(fetch, after=after, amount=amount):
            if item.path_type == "common_prefix":
                yield CommonPrefix(path=item.path)
            else:
                yield _stats(item)

    # --- commits --------------------------------------------------------------------------
    def diff_uncommitted(self, branch: str, *, prefix: str = "") -> Iterator[Change]:
        self._branch(branch)
        c = self._client

        def fetch(cursor: str, page: int) -> Any:
            return c.call(
                f"diff uncommitted changes of branch '{branch}' in {self._where()}",
                c.branches.diff_branch,
                self._name,
                branch,
                prefix=prefix or None,
                after=cursor or None,
                amount=page,
            )

        for item in paginate(fetch):
            change = _change(item)
            if change is not None:
                yield change

    def commit(
        self,
        branch: str,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        allow_empty: bool = False,
    ) -> Commit:
        self._branch(branch)
        c = self._client
        if not isinstance(message, str):
            raise InvalidInputError("commit message must be a string")
        creation = lakefs_sdk.CommitCreation(
            message=message, metadata=_check_metadata(metadata, "commit"), allow_empty=allow_empty
        )
        created = c.call(
            f"commit branch '{branch}' of {self._where()}",
            c.commits.commit,
            self._name,
            branch,
            creation,
            idempotent=False,
        )
        return _commit(created)

    def get_commit(self, ref: str) -> Commit:
        # The log resolves any ref expression (branch, tag, id prefix, ~N, ^N) on every lakeFS
        # version; its first entry is the commit the ref points at.
        _ref(ref)
        c = self._client
        page = c.call(f"resolve '{ref}' in {self._where()}", c.refs.log_commits, self._name, ref, amount=1)
        if not page.results:
            raise NotFoundError(f"resolve '{ref}' in {self._where()}: no commit found")
        return _commit(page.results[0])

    def log(
        self,
        ref: str,
        *,
        amount: int | None = None,
        after: str = "",
        first_parent: bool = False,
        prefixes: Iterable[str] = (),
    ) -> Iterator[Commit]:
        _ref(ref)
        if after:
            _ref(after)
        c = self._client
        prefix_list = [prefixes] if isinstance(prefixes, str) else list(prefixes)

        def fetch(cursor: str, page: int) -> Any:
            return c.call(
                f"log '{ref}' in {self._where()}",
                c.refs.log_commits,
                self._name,
                ref,
                after=cursor or None,
                amount=page,
                prefixes=prefix_list or None,
                first_parent=True if first_parent else None,
            )

        for item in paginate(fetch, after=after, amount=amount):
            yield _commit(item)

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
        _ref(left)
        _ref(right)
        if diff_type not in ("two_dot", "three_dot"):
            raise InvalidInputError(f"invalid diff type {diff_type!r}: expected 'two_dot' or 'three_dot'")
        c = self._client

        def fetch(cursor: str, page: int) -> Any:
            return c.call(
                f"diff '{left}'..'{right}' in {self._where()}",
                c.refs.diff_refs,
                self._name,
                left,
                right,
                prefix=prefix or None,
                after=cursor or None,
                amount=page,
                type=diff_type,
            )

        for item in paginate(fetch, after=after, amount=amount):
            change = _change(item)
            if change is not None:
                yield change

    def merge(
        self,
        source: str,
        destination: str,
        *,
        message: str | None = None,
        metadata: Mapping[str, str] | None = None,
        strategy: MergeStrategy | None = None,
    ) -> Commit:
        _ref(source)
        self._branch(destination)
        c = self._client
        what = f"merge '{source}' into '{destination}' in {self._where()}"
        if strategy not in (None, "dest-wins", "source-wins"):
            raise InvalidInputError(
                f"invalid merge strategy {strategy!r}: expected 'dest-wins' or 'source-wins'"
            )
        body = lakefs_sdk.Merge(
            message=message, metadata=_check_metadata(metadata, "merge"), strategy=strategy
        )
        try:
            result = c.call(
                what,
                c.refs.merge_into_branch,
                self._name,
                source,
                destination,
                merge=body,
                idempotent=False,
            )
        except ConflictError:
            # lakeFS answers a merge conflict with 409 and {"reference": ""}: no paths, so they
            # come from diffing both sides against the merge base.
            raise MergeConflictError(
                f"{what}: conflict (change the paths on one side, or merge with a strategy: "
                "dest-wins / source-wins)",
                self._merge_conflicts(source, destination),
            ) from None
        return self.get_commit(result.reference)

    def _merge_conflicts(self, source: str, destination: str) -> list[str]:
        c = self._client
        bases = c.call(
            f"find the merge base of '{source}' and '{destination}' in {self._where()}",
            c.refs.find_merge_base,
            self._name,
            source,
            destination,
        )
        base, src, dst = bases.base_commit_id, bases.source_commit_id, bases.destination_commit_id
        return self._both_changed(
            self.diff(base, src, diff_type="two_dot"),
            self.diff(base, dst, diff_type="two_dot"),
            left_ref=src,
            right_ref=dst,
        )

    def _both_changed(
        self, left: Iterator[Change], right: Iterator[Change], *, left_ref: str, right_ref: str
    ) -> list[str]:
        """Paths changed on both sides, differently (an identical change is no conflict). Both
        diffs are sorted by path, so one merge pass finds the common ones in bounded memory."""
        conflicts: list[str] = []
        tagged = heapq.merge(
            ((ch.path, 0, ch) for ch in left),
            ((ch.path, 1, ch) for ch in right),
            key=lambda t: t[:2],
        )
        previous: tuple[str, int, Change] | None = None
        for item in tagged:
            both = previous is not None and previous[0] == item[0] and previous[1] == 0 and item[1] == 1
            if both and self._differs(previous[2], item[2], left_ref, right_ref):  # type: ignore[index]
                conflicts.append(item[0])
                if len(conflicts) >= MAX_CONFLICTS:
                    break
            previous = item
        return conflicts

    def _differs(self, a: Change, b: Change, left_ref: str, right_ref: str) -> bool:
        if a.type == "removed" or b.type == "removed":
            return not (a.type == "removed" and b.type == "removed")
        try:
            return self.stat_object(left_ref, a.path).checksum != self.stat_object(right_ref, b.path).checksum
        except NotFoundError:
            return True

    def revert(
        self,
        branch: str,
        ref: str,
        *,
        parent_number: int = 0,
        message: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Commit:
        _ref(ref)
        self._branch(branch)
        if not isinstance(parent_number, int) or parent_number < 0:
            raise InvalidInputError(
                f"invalid parent_number {parent_number!r}: expected 0 or a parent's 1-based number"
            )
        c = self._client
        what = f"revert '{ref}' on branch '{branch}' of {self._where()}"
        overrides = None
        if message is not None or metadata:
            overrides = lakefs_sdk.CommitOverrides(
                message=message, metadata=_check_metadata(metadata, "revert")
            )
        creation = lakefs_sdk.RevertCreation(ref=ref, parent_number=parent_number, commit_overrides=overrides)
        try:
            c.call(what, c.branches.revert_branch, self._name, branch, creation, idempotent=False)
        except ConflictError:
            raise MergeConflictError(
                f"{what}: conflict with later changes on the branch",
                self._revert_conflicts(branch, ref, parent_number),
            ) from None
        # lakeFS answers 204 without the new commit: it is the branch's head now.
        return self.get_commit(branch)

    def _revert_conflicts(self, branch: str, ref: str, parent_number: int) -> list[str]:
        target = self.get_commit(ref)
        if not target.parents:
            return []
        parent = target.parents[max(parent_number, 1) - 1] if parent_number else target.parents[0]
        head = self.get_commit(branch).id
        return self._both_changed(
            self.diff(parent, target.id, diff_type="two_dot"),
            self.diff(target.id, head, diff_type="two_dot"),
            left_ref=parent,
            right_ref=head,
        )


class LakeFSStore:
    """A lakeFS server as a store of repositories.

    Options are the ones `Project` passes: ``endpoint`` and ``storage_namespace`` (from the
    project's config.yaml when ``project_root`` is given, where they rank below the environment
    as lakectl's order says; explicit otherwise), plus optional ``access_key_id`` /
    ``secret_access_key`` (never stored). A ``storage_namespace`` ending in '/' is a folder for
    repositories (``s3://bucket/lakeline/`` -> ``s3://bucket/lakeline/<repo>``); otherwise it is
    used as is. Without one, the server's default namespace prefix is used.
    """

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        storage_namespace: str | None = None,
        project_root: str | Path | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        from_project = project_root is not None
        settings = resolve_settings(
            endpoint=None if from_project else endpoint,
            project_endpoint=endpoint if from_project else None,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
        self.project_root = Path(project_root) if project_root is not None else None
        self.storage_namespace = storage_namespace or None
        self.client = LakeFSClient(settings)

    def __repr__(self) -> str:
        return f"LakeFSStore({self.client.settings.server_url})"

    @property
    def endpoint(self) -> str:
        return self.client.settings.server_url

    def _namespace_for(self, name: str) -> str:
        if self.storage_namespace:
            ns = self.storage_namespace
            return ns + name if ns.endswith("/") else ns
        storage = self.client.storage_config()
        prefix = getattr(storage, "default_namespace_prefix", None) if storage is not None else None
        if prefix:
            return f"{prefix.rstrip('/')}/{name}"
        kind = getattr(storage, "blockstore_type", "") if storage is not None else ""
        if kind in ("local", "mem"):
            # A folder under the server's own data directory: what `lakefs run --quickstart` uses.
            return f"{kind}://{name}"
        example = getattr(storage, "blockstore_namespace_example", "") if storage is not None else ""
        raise ConfigError(
            f"lakeFS needs a storage namespace for repository '{name}': pass --storage-namespace "
            f"(e.g. {example or 's3://bucket/path/'}{name})"
        )

    def create_repository(
        self, name: str, *, default_branch: str = "main", storage_namespace: str | None = None
    ) -> LakeFSRepository:
        check_repository_name(name)
        check_branch_name(default_branch)
        namespace = storage_namespace or self._namespace_for(name)
        c = self.client
        c.call(
            f"create lakeFS repository '{name}' at {namespace}",
            c.repositories.create_repository,
            lakefs_sdk.RepositoryCreation(
                name=name, storage_namespace=namespace, default_branch=default_branch
            ),
            idempotent=False,
        )
        return LakeFSRepository(self, name)

    def repository(self, name: str) -> LakeFSRepository:
        check_repository_name(name)
        c = self.client
        c.call(f"open lakeFS repository '{name}'", c.repositories.get_repository, name)
        return LakeFSRepository(self, name)

    def list_repositories(self) -> Iterator[RepositoryInfo]:
        c = self.client

        def fetch(cursor: str, page: int) -> Any:
            return c.call(
                "list lakeFS repositories",
                c.repositories.list_repositories,
                after=cursor or None,
                amount=page,
            )

        for item in paginate(fetch):
            yield _info(item)

    def delete_repository(self, name: str) -> None:
        c = self.client
        c.call(f"delete lakeFS repository '{name}'", c.repositories.delete_repository, name)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> LakeFSStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
