"""Content-addressed blobs: the bytes of every object, stored once, in one of two tiers.

A blob of at most SMALL_BLOB bytes is a row of the ``small_blobs`` table in the metadata
SQLite database (creating a file costs more than the bytes); a larger one is a read-only file
``<root>/blobs/<first two hex>/<blake3 hex>``, written to a temp file and renamed into place.
Either is shared by everything that holds the same bytes. Reads verify the BLAKE3 checksum
and raise CorruptObjectError instead of returning wrong bytes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import itertools
import os
import secrets
import shutil
import sqlite3
import stat
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import blake3

from lakeline.errors import CorruptObjectError, InvalidInputError, NotFoundError
from lakeline.store.local.metadata import MetadataDB

CHUNK = 1 << 20
# Below this size a file is read into memory and hashed before writing, so a duplicate costs
# one read; above it the kernel copies the file first and the copy is hashed (one pass each).
SMALL_FILE = 4 << 20
# blake3's multi-threaded mmap hashing only pays off for large inputs.
MMAP_HASH_MIN = 1 << 20
# Blobs up to this size are SQLite rows, larger ones files. Measured (docs/store.md): up to
# 16 KiB a row is faster to write and read than a file; at 32-64 KiB it depends on the disk.
SMALL_BLOB = 16 << 10
# put_files commits held small blobs early once they exceed this, to bound its memory.
HELD_BYTES_MAX = 64 << 20
# Files per thread-pool task: one future per file costs more than a small file's hash.
_FILES_PER_TASK = 128


@dataclass(frozen=True)
class BlobRef:
    """A stored (or held) blob. ``held`` carries a small blob's bytes not yet in SQLite: the
    caller inserts them (BlobStore.insert_held) in the transaction that references the blob."""

    checksum: str
    size: int
    held: bytes | None = field(default=None, repr=False, compare=False)


def hash_bytes(data: bytes | memoryview) -> str:
    return blake3.blake3(data).hexdigest()


def hash_file(path: Path) -> str:
    """BLAKE3 of a file: memory-mapped and multi-threaded for large files."""
    size = path.stat().st_size
    if size >= MMAP_HASH_MIN:
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(path)
        return hasher.hexdigest()
    return hash_bytes(path.read_bytes())


class BlobStore:
    """The one place that knows where an object's bytes live: SQLite row or loose file."""

    def __init__(self, root: Path, db: MetadataDB) -> None:
        self.root = root / "blobs"
        self.tmp = root / "tmp"
        self.db = db
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._folders: set[str] = set()
        self._counter = itertools.count()
        self._temp_prefix = f"blob-{os.getpid()}-{secrets.token_hex(4)}-"

    def path(self, checksum: str) -> Path:
        """Where a large blob's file is (small blobs have none)."""
        return self.root / checksum[:2] / checksum

    def address(self, checksum: str, size: int) -> str:
        if _is_small(size):
            return f"sqlite://{self.db.path}#{checksum}"
        return str(self.path(checksum))

    def exists(self, checksum: str) -> bool:
        return self.path(checksum).exists()

    # --- writing ------------------------------------------------------------------------------
    # put_* return small blobs held (BlobRef.held): pass them to insert_held in the transaction
    # that stages the object, so the row and its reference commit together.
    def put_bytes(self, data: bytes | memoryview) -> BlobRef:
        checksum = hash_bytes(data)
        if _is_small(len(data)):
            return BlobRef(checksum, len(data), bytes(data))
        if not self.exists(checksum):
            fd, tmp = self._temp()
            try:
                with open(fd, "wb", closefd=True) as out:
                    out.write(data)
                self._install(tmp, checksum)
            except BaseException:
                _unlink(tmp)
                raise
        return BlobRef(checksum, len(data))

    def put_stream(self, stream: BinaryIO) -> BlobRef:
        head = _read_up_to(stream, SMALL_BLOB + 1)
        if _is_small(len(head)):
            return self.put_bytes(head)
        hasher = blake3.blake3(head)
        size = len(head)
        fd, tmp = self._temp()
        try:
            with open(fd, "wb", closefd=True) as out:
                out.write(head)
                while chunk := stream.read(CHUNK):
                    _check_binary(chunk)
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            checksum = hasher.hexdigest()
            self._install(tmp, checksum)
        except BaseException:
            _unlink(tmp)
            raise
        return BlobRef(checksum, size)

    def put_file(self, source: Path) -> BlobRef:
        try:
            src = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise NotFoundError(f"local file {source} not found") from None
        except IsADirectoryError:
            raise InvalidInputError(f"{source} is a folder, not a file") from None
        info = os.fstat(src)
        if not stat.S_ISREG(info.st_mode):
            os.close(src)
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise InvalidInputError(f"{source} is {kind}: upload files one by one (put_objects)")
        if info.st_size < SMALL_FILE:
            # Plain os.read, no file object: on many small files the wrapper is a large share.
            try:
                data = _read_fd(src, info.st_size)
            finally:
                os.close(src)
            return self.put_bytes(data)
        with open(src, "rb", closefd=True) as reader:
            fd, tmp = self._temp()
            try:
                # Copy first, then hash the copy: the stored bytes are exactly the hashed bytes
                # even if the source changes meanwhile, and the hash reads the page cache.
                with open(fd, "wb", closefd=True) as writer:
                    _kernel_copy(reader, writer)
                size = os.stat(tmp).st_size
                if _is_small(size):  # the source shrank while copied: the copy is a small blob
                    ref = self.put_bytes(Path(tmp).read_bytes())
                    _unlink(tmp)
                    return ref
                checksum = hash_file(Path(tmp))
                self._install(tmp, checksum)
            except BaseException:
                _unlink(tmp)
                raise
        return BlobRef(checksum, size)

    def put_files(self, sources: Sequence[Path], threads: int) -> list[BlobRef]:
        """put_file of each source on ``threads`` threads, in order.

        Small blobs come back held, except that once more than HELD_BYTES_MAX are held the
        earlier ones are committed on their own (harmless: content-addressed, unreferenced).
        """
        collected = _HeldBudget(self)
        if threads <= 1 or len(sources) == 1:
            for source in sources:
                collected.add(self.put_file(source))
            return collected.refs
        tasks = iter([sources[i : i + _FILES_PER_TASK] for i in range(0, len(sources), _FILES_PER_TASK)])
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lakeline-put") as pool:
            # A bounded window of tasks in flight: finished blocks hold their bytes until taken.
            running: deque[Future[list[BlobRef]]] = deque(
                pool.submit(self._put_block, block) for block in itertools.islice(tasks, threads + 2)
            )
            while running:
                block_refs = running.popleft().result()
                following = next(tasks, None)
                if following is not None:
                    running.append(pool.submit(self._put_block, following))
                for ref in block_refs:
                    collected.add(ref)
        return collected.refs

    def _put_block(self, sources: Sequence[Path]) -> list[BlobRef]:
        return [self.put_file(source) for source in sources]

    def insert_held(self, conn: sqlite3.Connection, refs: Iterable[BlobRef]) -> None:
        """Insert the held small blobs of ``refs`` (inside the caller's write transaction)."""
        self.db.insert_small_blobs(conn, ((r.checksum, r.held) for r in refs if r.held is not None))

    def _temp(self) -> tuple[int, str]:
        # Created read-only: the open descriptor still writes, and the blob needs no chmod later.
        name = os.path.join(self.tmp, f"{self._temp_prefix}{threading.get_ident()}-{next(self._counter)}")
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC
        return os.open(name, flags, 0o444), name

    def _install(self, tmp: str | Path, checksum: str) -> None:
        """Give the finished temp file its content address; a copy already there wins."""
        if self.exists(checksum):
            _unlink(tmp)
            return
        folder = checksum[:2]
        if folder not in self._folders:
            (self.root / folder).mkdir(exist_ok=True)
            self._folders.add(folder)
        os.replace(tmp, self.root / folder / checksum)

    # --- reading ------------------------------------------------------------------------------
    # Every read is told the blob's size (from the object's entry): it says which tier holds it.
    def read(self, checksum: str, size: int, what: str) -> bytes:
        if _is_small(size):
            data = self.db.small_blob(checksum)
            if data is None:
                raise self._missing(checksum, size, what)
        else:
            with self._open(checksum, size, what) as reader:
                data = reader.read()
        if hash_bytes(data) != checksum:
            raise self._corrupt(checksum, size, what)
        return data

    def open_verified(self, checksum: str, size: int, what: str) -> BinaryIO:
        """An open stream whose whole content was verified before it is handed out."""
        if _is_small(size):
            return io.BytesIO(self.read(checksum, size, what))
        try:
            actual = hash_file(self.path(checksum))
        except FileNotFoundError:
            raise self._missing(checksum, size, what) from None
        if actual != checksum:
            raise self._corrupt(checksum, size, what)
        return self._open(checksum, size, what)

    def copy_verified(self, checksum: str, size: int, what: str, dest: Path) -> None:
        """Write the blob to ``dest`` via a temp file beside it, verified before the rename."""
        small = self.read(checksum, size, what) if _is_small(size) else None
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        try:
            with open(fd, "wb", closefd=True) as writer:
                if small is not None:
                    writer.write(small)
                else:
                    with self._open(checksum, size, what) as reader:
                        _kernel_copy(reader, writer)
            if hash_file(Path(tmp)) != checksum:
                raise self._corrupt(checksum, size, what)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        except BaseException:
            _unlink(tmp)
            raise

    def _open(self, checksum: str, size: int, what: str) -> BinaryIO:
        try:
            return open(self.path(checksum), "rb")
        except FileNotFoundError:
            raise self._missing(checksum, size, what) from None

    def _where(self, checksum: str, size: int) -> str:
        if _is_small(size):
            return f"small blob {checksum} in {self.db.path}"
        return f"blob {self.path(checksum)}"

    def _corrupt(self, checksum: str, size: int, what: str) -> CorruptObjectError:
        return CorruptObjectError(
            f"{what} is corrupt: {self._where(checksum, size)} does not match its checksum "
            f"{checksum}; restore it from a backup or re-upload the object"
        )

    def _missing(self, checksum: str, size: int, what: str) -> CorruptObjectError:
        return CorruptObjectError(
            f"{what} is missing its data: {self._where(checksum, size)} does not exist; "
            "restore it from a backup or re-upload the object"
        )


class _HeldBudget:
    """Collects refs in order; once too many bytes are held, commits the held ones early."""

    def __init__(self, blobs: BlobStore) -> None:
        self.refs: list[BlobRef] = []
        self._blobs = blobs
        self._held_at: list[int] = []
        self._bytes = 0

    def add(self, ref: BlobRef) -> None:
        if ref.held is not None:
            self._held_at.append(len(self.refs))
            self._bytes += ref.size
        self.refs.append(ref)
        if self._bytes > HELD_BYTES_MAX:
            with self._blobs.db.write() as conn:
                self._blobs.insert_held(conn, (self.refs[i] for i in self._held_at))
            for i in self._held_at:
                self.refs[i] = replace(self.refs[i], held=None)
            self._held_at.clear()
            self._bytes = 0


def _is_small(size: int) -> bool:
    return size <= SMALL_BLOB


def _check_binary(chunk: object) -> None:
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise InvalidInputError("object stream must be opened in binary mode")


def _read_fd(fd: int, expected: int) -> bytes:
    """The whole file: ``expected`` bytes in one read when it did not change since fstat."""
    parts = [os.read(fd, expected + 1)]
    while parts[-1]:
        parts.append(os.read(fd, CHUNK))
    return b"".join(parts)


def _read_up_to(stream: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes (fewer only at the end): raw streams may return short reads."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        _check_binary(chunk)
        parts.append(bytes(chunk))
        size += len(chunk)
    return b"".join(parts)


# errno values meaning "this kernel or this pair of files cannot copy that way": try the next way.
_NO_KERNEL_COPY = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF})


def _kernel_copy(reader: BinaryIO, writer: BinaryIO) -> None:
    """Copy reader's file to writer's in the kernel (copy_file_range, else sendfile), else in Python.

    Each way continues from the files' current offsets, so a fallback after a partial copy is safe.
    """
    src, dst = reader.fileno(), writer.fileno()
    if hasattr(os, "copy_file_range"):
        try:
            while os.copy_file_range(src, dst, 1 << 30):
                pass
            return
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
    try:
        while os.sendfile(dst, src, None, 1 << 30):
            pass
        return
    except OSError as exc:
        if exc.errno not in _NO_KERNEL_COPY:
            raise
    shutil.copyfileobj(reader, writer, CHUNK)


def _unlink(path: str | Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
