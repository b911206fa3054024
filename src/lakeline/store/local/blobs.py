"""Content-addressed blob files: the bytes of every object, stored once.

A blob lives at ``<root>/blobs/<first two hex>/<blake3 hex>``, read-only, shared by every
repository, branch and commit that holds the same bytes. Writes go to a temp file that is
renamed into place, so a crash never leaves a partial blob under its final name. Reads verify
the BLAKE3 checksum and raise CorruptObjectError instead of returning wrong bytes.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import secrets
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import blake3

from lakeline.errors import CorruptObjectError, InvalidInputError, NotFoundError

CHUNK = 1 << 20
# Below this size a file is read into memory and hashed before writing, so a duplicate costs
# one read; above it the kernel copies the file first and the copy is hashed (one pass each).
SMALL_FILE = 4 << 20
# blake3's multi-threaded mmap hashing only pays off for large inputs.
MMAP_HASH_MIN = 1 << 20


@dataclass(frozen=True)
class BlobRef:
    checksum: str
    size: int


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
    def __init__(self, root: Path) -> None:
        self.root = root / "blobs"
        self.tmp = root / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._folders: set[str] = set()
        self._counter = itertools.count()
        self._temp_prefix = f"blob-{os.getpid()}-{secrets.token_hex(4)}-"

    def path(self, checksum: str) -> Path:
        return self.root / checksum[:2] / checksum

    def exists(self, checksum: str) -> bool:
        return self.path(checksum).exists()

    # --- writing ------------------------------------------------------------------------------
    def put_bytes(self, data: bytes | memoryview) -> BlobRef:
        checksum = hash_bytes(data)
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
        hasher = blake3.blake3()
        size = 0
        fd, tmp = self._temp()
        try:
            with open(fd, "wb", closefd=True) as out:
                while chunk := stream.read(CHUNK):
                    if not isinstance(chunk, bytes | bytearray | memoryview):
                        raise InvalidInputError("object stream must be opened in binary mode")
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            checksum = hasher.hexdigest()
            if self.exists(checksum):
                _unlink(tmp)
            else:
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
        with open(src, "rb", closefd=True) as reader:
            if info.st_size < SMALL_FILE:
                return self.put_bytes(reader.read())
            fd, tmp = self._temp()
            try:
                # Copy first, then hash the copy: the stored bytes are exactly the hashed bytes
                # even if the source changes meanwhile, and the hash reads the page cache.
                with open(fd, "wb", closefd=True) as writer:
                    _kernel_copy(reader, writer)
                checksum = hash_file(Path(tmp))
                size = os.stat(tmp).st_size
                if self.exists(checksum):
                    _unlink(tmp)
                else:
                    self._install(tmp, checksum)
            except BaseException:
                _unlink(tmp)
                raise
        return BlobRef(checksum, size)

    def _temp(self) -> tuple[int, str]:
        # Created read-only: the open descriptor still writes, and the blob needs no chmod later.
        name = os.path.join(self.tmp, f"{self._temp_prefix}{threading.get_ident()}-{next(self._counter)}")
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC
        return os.open(name, flags, 0o444), name

    def _install(self, tmp: str | Path, checksum: str) -> None:
        folder = checksum[:2]
        if folder not in self._folders:
            (self.root / folder).mkdir(exist_ok=True)
            self._folders.add(folder)
        os.replace(tmp, self.root / folder / checksum)

    # --- reading ------------------------------------------------------------------------------
    def read(self, checksum: str, what: str) -> bytes:
        data = self._open(checksum, what).read()
        if hash_bytes(data) != checksum:
            raise self._corrupt(checksum, what)
        return data

    def open_verified(self, checksum: str, what: str) -> BinaryIO:
        """An open file whose whole content was verified before it is handed out."""
        self.verify(checksum, what)
        return self._open(checksum, what)

    def verify(self, checksum: str, what: str) -> None:
        path = self.path(checksum)
        try:
            actual = hash_file(path)
        except FileNotFoundError:
            raise self._missing(checksum, what) from None
        if actual != checksum:
            raise self._corrupt(checksum, what)

    def copy_verified(self, checksum: str, what: str, dest: Path) -> None:
        """Write the blob to ``dest`` via a temp file beside it, verified before the rename."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        try:
            with open(fd, "wb", closefd=True) as writer, self._open(checksum, what) as reader:
                _kernel_copy(reader, writer)
            if hash_file(Path(tmp)) != checksum:
                raise self._corrupt(checksum, what)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        except BaseException:
            _unlink(tmp)
            raise

    def iter_checksums(self) -> Iterator[str]:
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir():
                for blob in sorted(folder.iterdir()):
                    yield blob.name

    def _open(self, checksum: str, what: str) -> BinaryIO:
        try:
            return open(self.path(checksum), "rb")
        except FileNotFoundError:
            raise self._missing(checksum, what) from None

    def _corrupt(self, checksum: str, what: str) -> CorruptObjectError:
        return CorruptObjectError(
            f"{what} is corrupt: blob {self.path(checksum)} does not match its checksum {checksum}; "
            "restore it from a backup or re-upload the object"
        )

    def _missing(self, checksum: str, what: str) -> CorruptObjectError:
        return CorruptObjectError(
            f"{what} is missing its data: blob {self.path(checksum)} does not exist; "
            "restore it from a backup or re-upload the object"
        )


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
