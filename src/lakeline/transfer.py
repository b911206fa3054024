"""Copying between local files and a repository: folder uploads and safe downloads.

Uploads never read outside the file or folder the user named (symlinks pointing out are
refused); downloads treat store paths as untrusted and never write outside the destination.
Both check everything before moving the first byte, so a refusal leaves nothing half-done.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lakeline.errors import InvalidInputError, InvalidPathError, LakelineError, NotFoundError
from lakeline.names import RESERVED_PREFIX, check_object_path
from lakeline.store.base import ObjectStats, Repository, Upload

# Batches of a progress-reported folder upload: big enough to keep the store's batch path
# fast, small enough that the bar moves (about 100 steps for a large folder).
_MIN_BATCH = 256
_STEPS = 100
# Parallel downloads: enough to overlap HTTP round trips on lakeFS and disk copies locally.
_DOWNLOAD_WORKERS = 8
_META_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class TransferProgress:
    """How far an upload or download is; reported after each batch or file."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


ProgressCallback = Callable[[TransferProgress], None]


@dataclass(frozen=True)
class LocalFile:
    """One local file of an upload and the store path it goes to."""

    source: Path
    path: str
    size_bytes: int


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """User metadata for objects: keys lakeFS can carry as HTTP headers, one-line string values."""
    checked: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not _META_KEY.match(key):
            raise InvalidInputError(
                f"invalid metadata key {key!r}: use letters, digits, '-', '_' and '.' (e.g. --meta source=s3)"
            )
        if not isinstance(value, str) or any(ord(ch) < 0x20 or ch == "\x7f" for ch in value):
            raise InvalidInputError(f"invalid metadata value for {key!r}: must be one line of text")
        checked[key] = value
    return checked


def plan_upload(local: Path, dest: str) -> list[LocalFile]:
    """The files to upload from ``local`` (a file or a folder) to ``dest`` (a path or prefix).

    A file goes to ``dest``, or to ``dest + name`` when ``dest`` is a prefix; a folder's files
    go under ``dest`` by their relative paths, in sorted order.
    """
    if not os.path.lexists(local):
        raise NotFoundError(f"local file or folder {str(local)!r} not found: check the path")
    if local.is_dir():
        files = _walk_folder(local, dest if dest == "" or dest.endswith("/") else dest + "/")
        if not files:
            raise InvalidInputError(f"folder {str(local)!r} holds no files to upload")
        return files
    source = _regular_file(local, boundary=None)
    path = dest + local.name if dest == "" or dest.endswith("/") else dest
    return [LocalFile(source, _store_path(path, local), source.stat().st_size)]


def upload(
    repo: Repository,
    branch: str,
    files: Sequence[LocalFile],
    *,
    metadata: Mapping[str, str] | None = None,
    content_type: str | None = None,
    progress: ProgressCallback | None = None,
) -> list[ObjectStats]:
    """Stage ``files`` on ``branch``: one object directly, many through the batch call."""
    total_bytes = sum(f.size_bytes for f in files)
    try:
        if len(files) == 1:
            only = files[0]
            stats = [
                repo.put_object(branch, only.path, only.source, metadata=metadata, content_type=content_type)
            ]
            if progress:
                progress(TransferProgress(1, 1, total_bytes, total_bytes))
            return stats
        uploads = [Upload(f.path, f.source, metadata, content_type) for f in files]
        if progress is None:
            return repo.put_objects(branch, uploads)
        size = max(_MIN_BATCH, -(-len(uploads) // _STEPS))
        result: list[ObjectStats] = []
        done_bytes = 0
        for start in range(0, len(uploads), size):
            result.extend(repo.put_objects(branch, uploads[start : start + size]))
            done_bytes += sum(f.size_bytes for f in files[start : start + size])
            progress(TransferProgress(len(result), len(files), done_bytes, total_bytes))
        return result
    except OSError as exc:
        raise InvalidPathError(
            f"cannot read local file {exc.filename or ''!s}: {exc.strerror or exc}"
        ) from None


@dataclass(frozen=True)
class Download:
    """One object of a download and the local file it is written to."""

    stats: ObjectStats
    dest: Path


def plan_download(objects: Iterable[ObjectStats], prefix: str, local: Path) -> list[Download]:
    """Where each object under ``prefix`` lands inside folder ``local``; refuses unsafe paths.

    Store paths are untrusted: a relative path with ``..``, an absolute one, or one reaching
    through a symlink out of ``local`` is an InvalidPathError before anything is written.
    Objects under ``_lakeline/`` are lakeline's own and are skipped unless asked for.
    """
    base = local.resolve()
    skip_reserved = not prefix.startswith(RESERVED_PREFIX)
    plan: list[Download] = []
    for stats in objects:
        if skip_reserved and stats.path.startswith(RESERVED_PREFIX):
            continue
        relative = stats.path[len(prefix) :]
        try:
            check_object_path(relative)
        except InvalidPathError as exc:
            raise InvalidPathError(
                f"refusing to download {stats.path!r}: its path below {prefix or '/'!r} is unsafe ({exc})"
            ) from None
        dest = local.joinpath(*PurePosixPath(relative).parts)
        if not dest.resolve().is_relative_to(base):
            raise InvalidPathError(
                f"refusing to download {stats.path!r}: {str(dest)!r} leads outside {str(local)!r} "
                "through a symlink"
            )
        plan.append(Download(stats, dest))
    _check_no_file_folder_clash([d.stats.path[len(prefix) :] for d in plan])
    return plan


def single_download_dest(path: str, local: Path | str) -> Path:
    """Where one object goes: ``local`` itself, or inside it when it is a folder (or ends in /)."""
    text = str(local)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return Path(text) / PurePosixPath(path).name
    return Path(text)


def download(
    repo: Repository, ref: str, plan: Sequence[Download], *, progress: ProgressCallback | None = None
) -> list[ObjectStats]:
    """Write every planned object, in parallel; each is written atomically and verified by the store.

    On the first failure the remaining downloads are cancelled; files already written are
    complete (never partial), since the store writes each to a temp file and renames it.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed  # pulls in logging: not at start-up

    if not plan:
        return []
    for folder in sorted({item.dest.parent for item in plan}):
        _mkdir(folder)
    total_bytes = sum(d.stats.size_bytes for d in plan)
    results: list[ObjectStats | None] = [None] * len(plan)
    done_files = done_bytes = 0
    workers = min(_DOWNLOAD_WORKERS, len(plan))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lakeline-download") as pool:
        futures = {pool.submit(_download_one, repo, ref, item): i for i, item in enumerate(plan)}
        try:
            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                done_files += 1
                done_bytes += plan[index].stats.size_bytes
                if progress:
                    progress(TransferProgress(done_files, len(plan), done_bytes, total_bytes))
        except BaseException:
            for pending in futures:
                pending.cancel()
            raise
    return [r for r in results if r is not None]


def _download_one(repo: Repository, ref: str, item: Download) -> ObjectStats:
    try:
        return repo.download_object(ref, item.stats.path, item.dest)
    except LakelineError:
        raise
    except OSError as exc:
        raise InvalidPathError(f"cannot write {str(item.dest)!r}: {exc.strerror or exc}") from None


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidPathError(
            f"cannot create folder {str(folder)!r}: {exc.strerror or exc} (is a file in the way?)"
        ) from None


def _walk_folder(root: Path, prefix: str) -> list[LocalFile]:
    boundary = root.resolve()
    files: list[LocalFile] = []

    def fail(exc: OSError) -> None:
        raise InvalidPathError(f"cannot read folder {exc.filename!s}: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        folder = Path(dirpath)
        for name in list(dirnames):
            sub = folder / name
            if sub.is_symlink():
                # Not descended (cycles, duplicates); refused when it points outside.
                _check_inside(sub, boundary, root)
                dirnames.remove(name)
        for name in filenames:
            entry = folder / name
            if not entry.is_symlink() and not entry.is_file():
                continue  # sockets, FIFOs, devices: nothing to version
            source = _regular_file(entry, boundary=boundary, named=root)
            relative = entry.relative_to(root).as_posix()
            files.append(LocalFile(source, _store_path(prefix + relative, entry), source.stat().st_size))
    files.sort(key=lambda f: f.path)
    return files


def _regular_file(entry: Path, *, boundary: Path | None, named: Path | None = None) -> Path:
    if boundary is not None and named is not None:
        _check_inside(entry, boundary, named)
    if not entry.is_file():
        raise InvalidPathError(f"{str(entry)!r} is not a readable regular file (a broken symlink?)")
    return entry


def _check_inside(entry: Path, boundary: Path, named: Path) -> None:
    if not entry.resolve().is_relative_to(boundary):
        raise InvalidPathError(
            f"refusing to upload {str(entry)!r}: it is a symlink to {str(entry.resolve())!r}, "
            f"outside the folder {str(named)!r}"
        )


def _store_path(path: str, source: Path) -> str:
    try:
        return check_object_path(path)
    except InvalidPathError as exc:
        raise InvalidPathError(f"cannot upload {str(source)!r}: {exc}") from None


def _check_no_file_folder_clash(paths: Sequence[str]) -> None:
    files = set(paths)
    for path in paths:
        parent = path.rpartition("/")[0]
        while parent:
            if parent in files:
                raise InvalidPathError(
                    f"cannot download both {parent!r} and {path!r}: locally a path cannot be a file "
                    "and a folder at once; download them separately"
                )
            parent = parent.rpartition("/")[0]
