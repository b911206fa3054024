"""Manifests: what a commit holds, as content-addressed Parquet ranges and metaranges.

A range is an immutable Parquet file of entries sorted by path; a metarange is the sorted list
of ranges that make one commit's tree. Range boundaries are content-defined (a path ends a
range when its hash says so, or at a size cap), so applying a few changes rewrites only the
ranges they fall in and every other range is shared with the previous commit. Diff and merge
(merge.py) walk two trees with `TreeCursor` and skip ranges whose ids are equal.
"""

from __future__ import annotations

import bisect
import contextlib
import io
import itertools
import json
import operator
import os
import tempfile
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import blake3

from lakeline.errors import CorruptObjectError

# Ranges hold 2**RANGE_BITS entries on average and never more than 4x that.
RANGE_BITS = 10
_GOLDEN = 0x9E3779B1
_RANGE_COLUMNS = ("path", "checksum", "size", "mtime", "content_type", "metadata")
_META_COLUMNS = ("range_id", "min_key", "max_key", "count")
_INT_COLUMNS = frozenset({"size", "mtime", "count"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One object in a tree. ``metadata`` is canonical JSON (sorted keys) of str -> str."""

    path: str
    checksum: str
    size: int
    mtime: int
    content_type: str
    metadata: str

    def same_object(self, other: Entry | None) -> bool:
        """Equal bytes, metadata and content type: a re-upload of this is not a change."""
        return (
            other is not None
            and self.checksum == other.checksum
            and self.content_type == other.content_type
            and self.metadata == other.metadata
        )


def same(a: Entry | None, b: Entry | None) -> bool:
    if a is None:
        return b is None
    return a.same_object(b)


def canonical_metadata(metadata: dict[str, str] | None) -> str:
    return json.dumps(metadata or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class RangeRef:
    id: str
    min_key: str
    max_key: str
    count: int


@dataclass(frozen=True)
class Metarange:
    id: str
    ranges: tuple[RangeRef, ...]

    @property
    def count(self) -> int:
        return sum(r.count for r in self.ranges)

    @cached_property
    def max_keys(self) -> list[str]:
        """Each range's last path, for bisecting to the range that may hold a path."""
        return [r.max_key for r in self.ranges]


class Columns:
    """Entries column by column: how ranges are read, cut and written without per-entry objects.

    Ranges loaded from files are shared through the cache and never modified; builders (the
    chunk being cut in `ManifestStore.apply`) are fresh instances.
    """

    __slots__ = ("checksums", "content_types", "metadatas", "mtimes", "paths", "sizes")

    def __init__(
        self,
        paths: list[str] | None = None,
        checksums: list[str] | None = None,
        sizes: list[int] | None = None,
        mtimes: list[int] | None = None,
        content_types: list[str] | None = None,
        metadatas: list[str] | None = None,
    ) -> None:
        self.paths = paths if paths is not None else []
        self.checksums = checksums if checksums is not None else []
        self.sizes = sizes if sizes is not None else []
        self.mtimes = mtimes if mtimes is not None else []
        self.content_types = content_types if content_types is not None else []
        self.metadatas = metadatas if metadatas is not None else []

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> Columns:
        columns = cls()
        for entry in entries:
            columns.append(entry)
        return columns

    def __len__(self) -> int:
        return len(self.paths)

    def entry(self, i: int) -> Entry:
        return Entry(
            self.paths[i],
            self.checksums[i],
            self.sizes[i],
            self.mtimes[i],
            self.content_types[i],
            self.metadatas[i],
        )

    def append(self, e: Entry) -> None:
        self.paths.append(e.path)
        self.checksums.append(e.checksum)
        self.sizes.append(e.size)
        self.mtimes.append(e.mtime)
        self.content_types.append(e.content_type)
        self.metadatas.append(e.metadata)

    def extend(self, other: Columns, start: int, stop: int) -> None:
        self.paths.extend(other.paths[start:stop])
        self.checksums.extend(other.checksums[start:stop])
        self.sizes.extend(other.sizes[start:stop])
        self.mtimes.extend(other.mtimes[start:stop])
        self.content_types.extend(other.content_types[start:stop])
        self.metadatas.extend(other.metadatas[start:stop])

    def as_dict(self) -> dict[str, list[Any]]:
        return {
            "path": self.paths,
            "checksum": self.checksums,
            "size": self.sizes,
            "mtime": self.mtimes,
            "content_type": self.content_types,
            "metadata": self.metadatas,
        }

    def differing_rows(self, other: Columns) -> list[int]:
        """Rows whose object differs from ``other``'s, for two ranges with the same paths."""
        rows: set[int] = set()
        n = len(self.paths)
        for mine, theirs in (
            (self.checksums, other.checksums),
            (self.content_types, other.content_types),
            (self.metadatas, other.metadatas),
        ):
            if mine != theirs:  # C-speed comparisons; most ranges differ in a few rows only
                rows.update(itertools.compress(range(n), map(operator.ne, mine, theirs)))
        return sorted(rows)


def ends_range(path: str, bits: int = RANGE_BITS) -> bool:
    """Content-defined boundary: deterministic per path, true for ~1 in 2**bits paths."""
    mixed = (zlib.crc32(path.encode()) * _GOLDEN) & 0xFFFFFFFF
    return (mixed >> (32 - bits)) == 0


class ManifestStore:
    """Reads and writes range and metarange files under ``<root>/ranges`` and ``<root>/metaranges``.

    A range's id is the BLAKE3 of its Parquet bytes (verified on every read); a metarange's id
    is the BLAKE3 of its rows as canonical JSON, so the empty tree's id needs no Parquet at all.
    """

    def __init__(self, root: Path, *, range_bits: int = RANGE_BITS, cache_ranges: int = 64) -> None:
        if not 0 <= range_bits <= 20:
            raise ValueError(f"range_bits must be 0-20, not {range_bits}")
        self.range_bits = range_bits
        self.max_range_entries = 4 << range_bits
        self.ranges_dir = root / "ranges"
        self.metaranges_dir = root / "metaranges"
        self.tmp = root / "tmp"
        for folder in (self.ranges_dir, self.metaranges_dir, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._folders: set[str] = set()
        self._lock = threading.Lock()
        self._range_cache: OrderedDict[str, Columns] = OrderedDict()
        self._range_cache_size = cache_ranges
        self._meta_cache: OrderedDict[str, Metarange] = OrderedDict()
        # The empty tree is known without reading or writing a file (opening a store stays free
        # of pyarrow); `write_empty` puts its file on disk for outside readers such as DuckDB.
        self.empty = Metarange(_metarange_id([]), ())

    def write_empty(self) -> Metarange:
        return self.write_metarange([])

    # --- paths ------------------------------------------------------------------------------
    def range_path(self, range_id: str) -> Path:
        return self.ranges_dir / range_id[:2] / f"{range_id}.parquet"

    def metarange_path(self, metarange_id: str) -> Path:
        return self.metaranges_dir / f"{metarange_id}.parquet"

    # --- ranges -----------------------------------------------------------------------------
    def write_range(self, columns: Columns) -> RangeRef:
        data = _parquet_bytes(columns.as_dict())
        range_id = blake3.blake3(data).hexdigest()
        folder = range_id[:2]
        if folder not in self._folders:
            (self.ranges_dir / folder).mkdir(exist_ok=True)
            self._folders.add(folder)
        path = self.range_path(range_id)
        if not path.exists():
            self._install(data, path)
        self._remember_range(range_id, columns)
        return RangeRef(range_id, columns.paths[0], columns.paths[-1], len(columns))

    def read_range(self, range_id: str) -> Columns:
        with self._lock:
            cached = self._range_cache.get(range_id)
            if cached is not None:
                self._range_cache.move_to_end(range_id)
                return cached
        path = self.range_path(range_id)
        what = f"range {range_id}"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CorruptObjectError(f"{what} is missing ({path}); the store is damaged") from None
        if blake3.blake3(data).hexdigest() != range_id:
            raise CorruptObjectError(f"{what} does not match its content id ({path}); the store is damaged")
        c = _parquet_columns(data, _RANGE_COLUMNS, what)
        loaded = Columns(c["path"], c["checksum"], c["size"], c["mtime"], c["content_type"], c["metadata"])
        self._remember_range(range_id, loaded)
        return loaded

    def _remember_range(self, range_id: str, loaded: Columns) -> None:
        with self._lock:
            self._range_cache[range_id] = loaded
            self._range_cache.move_to_end(range_id)
            while len(self._range_cache) > self._range_cache_size:
                self._range_cache.popitem(last=False)

    # --- metaranges -------------------------------------------------------------------------
    def write_metarange(self, ranges: Sequence[RangeRef]) -> Metarange:
        metarange_id = _metarange_id(ranges)
        path = self.metarange_path(metarange_id)
        if not path.exists():
            columns: dict[str, list[Any]] = {
                "range_id": [r.id for r in ranges],
                "min_key": [r.min_key for r in ranges],
                "max_key": [r.max_key for r in ranges],
                "count": [r.count for r in ranges],
            }
            self._install(_parquet_bytes(columns), path)
        metarange = Metarange(metarange_id, tuple(ranges))
        self._remember_metarange(metarange)
        return metarange

    def read_metarange(self, metarange_id: str) -> Metarange:
        if metarange_id == self.empty.id:
            return self.empty
        with self._lock:
            cached = self._meta_cache.get(metarange_id)
            if cached is not None:
                self._meta_cache.move_to_end(metarange_id)
                return cached
        path = self.metarange_path(metarange_id)
        what = f"metarange {metarange_id}"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CorruptObjectError(f"{what} is missing ({path}); the store is damaged") from None
        columns = _parquet_columns(data, _META_COLUMNS, what)
        ranges = tuple(
            map(RangeRef, columns["range_id"], columns["min_key"], columns["max_key"], columns["count"])
        )
        if _metarange_id(ranges) != metarange_id:
            raise CorruptObjectError(f"{what} does not match its content id ({path}); the store is damaged")
        metarange = Metarange(metarange_id, ranges)
        self._remember_metarange(metarange)
        return metarange

    def _remember_metarange(self, metarange: Metarange) -> None:
        with self._lock:
            self._meta_cache[metarange.id] = metarange
            self._meta_cache.move_to_end(metarange.id)
            while len(self._meta_cache) > 16:
                self._meta_cache.popitem(last=False)

    def _install(self, data: bytes, path: Path) -> None:
        """Write ``data`` to ``path`` via a read-only temp file and a rename (never half a file)."""
        fd, tmp = tempfile.mkstemp(dir=self.tmp, prefix="manifest-")
        try:
            with open(fd, "wb", closefd=True) as out:
                out.write(data)
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    # --- trees ------------------------------------------------------------------------------
    def cursor(self, metarange: Metarange) -> TreeCursor:
        return TreeCursor(self, metarange)

    def lookup(self, metarange: Metarange, path: str) -> Entry | None:
        ranges = metarange.ranges
        i = bisect.bisect_left(metarange.max_keys, path)
        if i == len(ranges) or ranges[i].min_key > path:
            return None
        loaded = self.read_range(ranges[i].id)
        j = bisect.bisect_left(loaded.paths, path)
        if j < len(loaded.paths) and loaded.paths[j] == path:
            return loaded.entry(j)
        return None

    def iter_entries(self, metarange: Metarange, start: str = "", prefix: str = "") -> Iterator[Entry]:
        """Entries with path >= max(start, prefix) that start with ``prefix``, in order."""
        cursor = self.cursor(metarange)
        cursor.seek(max(start, prefix))
        while (entry := cursor.next_entry()) is not None:
            if not entry.path.startswith(prefix):
                return
            yield entry

    def apply(self, metarange: Metarange, changes: Iterable[tuple[str, Entry | None]]) -> Metarange:
        """A new tree: ``metarange`` with each (path, entry) set, or removed when entry is None.

        ``changes`` must be sorted by path with unique paths. Ranges no change falls into are
        reused as they are; touched ranges are merged and re-cut at content-defined boundaries
        until a cut lines up with an original range end again.
        """
        pending = list(changes)
        pending_paths = [p for p, _ in pending]
        ranges = metarange.ranges
        cutter = _RangeCutter(self)
        ci = 0
        last = len(ranges) - 1
        for i, rng in enumerate(ranges):
            # Changes up to this range's last key belong to it (the last range takes the rest).
            end = len(pending) if i == last else bisect.bisect_right(pending_paths, rng.max_key, lo=ci)
            if end == ci and not cutter.pending:
                cutter.out.append(rng)
                continue
            cutter.feed(*_merge_range(self.read_range(rng.id), pending[ci:end]))
            ci = end
        tail = Columns.from_entries(new for _, new in pending[ci:] if new is not None)
        bits = self.range_bits
        cutter.feed(tail, [i for i, path in enumerate(tail.paths) if ends_range(path, bits)])
        out = cutter.finish()
        if len(out) == len(ranges) and all(a.id == b.id for a, b in zip(out, ranges, strict=True)):
            return metarange
        return self.write_metarange(out)


class _RangeCutter:
    """Cuts a stream of entries into ranges: after a boundary path, or at the size cap."""

    def __init__(self, manifests: ManifestStore) -> None:
        self._manifests = manifests
        self._bits = manifests.range_bits
        self._cap = manifests.max_range_entries
        self.out: list[RangeRef] = []
        self._chunk = Columns()

    @property
    def pending(self) -> int:
        return len(self._chunk)

    def feed(self, rows: Columns, candidates: list[int]) -> None:
        """Append ``rows``; only rows listed in ``candidates`` (ascending) may be boundaries.

        Rows of an existing range are not boundaries except its last one (that is how it was
        cut), so only new entries and range ends need their path hashed.
        """
        start = 0
        for c in candidates:
            start = self._take(rows, start, c + 1)
            if self._chunk.paths and ends_range(rows.paths[c], self._bits):
                self._flush()
        self._take(rows, start, len(rows))

    def _take(self, rows: Columns, start: int, stop: int) -> int:
        while start < stop:
            step = min(self._cap - len(self._chunk), stop - start)
            self._chunk.extend(rows, start, start + step)
            start += step
            if len(self._chunk) >= self._cap:
                self._flush()
        return start

    def _flush(self) -> None:
        self.out.append(self._manifests.write_range(self._chunk))
        self._chunk = Columns()

    def finish(self) -> list[RangeRef]:
        if self._chunk.paths:
            self._flush()
        return self.out


def _merge_range(loaded: Columns, changes: Sequence[tuple[str, Entry | None]]) -> tuple[Columns, list[int]]:
    """``loaded`` with ``changes`` applied, and the rows that may end a range (new ones, the last)."""
    merged = Columns()
    candidates: list[int] = []
    paths = loaded.paths
    n = len(paths)
    i = 0
    for path, new in changes:
        j = bisect.bisect_left(paths, path, lo=i)
        merged.extend(loaded, i, j)
        i = j + 1 if j < n and paths[j] == path else j
        if new is not None:
            candidates.append(len(merged))
            merged.append(new)
    if i < n:
        merged.extend(loaded, i, n)
        candidates.append(len(merged) - 1)
    return merged, candidates


class TreeCursor:
    """A forward cursor over one tree that loads ranges only when their entries are needed."""

    def __init__(self, manifests: ManifestStore, metarange: Metarange) -> None:
        self._manifests = manifests
        self._metarange = metarange
        self.ranges = metarange.ranges
        self.ri = 0
        self._loaded: Columns | None = None
        self._pos = 0

    def seek(self, key: str) -> None:
        """Move forward to the first entry with path >= ``key``."""
        if not key:
            return
        loaded = self._loaded
        if loaded is not None and loaded.paths[-1] >= key:
            self._pos = max(self._pos, bisect.bisect_left(loaded.paths, key))
            return
        ri = bisect.bisect_left(self._metarange.max_keys, key, lo=self.ri)
        if ri != self.ri:
            self.ri = ri
            self._loaded = None
        if self.ri < len(self.ranges) and self.ranges[self.ri].min_key < key:
            self.load()
            assert self._loaded is not None
            self._pos = bisect.bisect_left(self._loaded.paths, key)

    def at_range_start(self) -> bool:
        return self._loaded is None and self.ri < len(self.ranges)

    def range_id(self) -> str:
        return self.ranges[self.ri].id

    def skip_range(self) -> None:
        self.ri += 1
        self._loaded = None
        self._pos = 0

    def peek_key(self) -> str | None:
        if self.ri >= len(self.ranges):
            return None
        if self._loaded is None:
            return self.ranges[self.ri].min_key
        return self._loaded.paths[self._pos]

    def load(self) -> Columns:
        if self._loaded is None:
            self._loaded = self._manifests.read_range(self.ranges[self.ri].id)
            self._pos = 0
        return self._loaded

    def next_entry(self) -> Entry | None:
        if self.ri >= len(self.ranges):
            return None
        self.load()
        assert self._loaded is not None
        entry = self._loaded.entry(self._pos)
        self._pos += 1
        if self._pos >= len(self._loaded.paths):
            self.skip_range()
        return entry

    def get(self, path: str) -> Entry | None:
        """The entry at ``path`` (paths asked must not decrease)."""
        if self.ri >= len(self.ranges):
            return None
        if self._loaded is None and self.ranges[self.ri].min_key > path:
            return None  # before the next range: nothing to load
        self.seek(path)
        if self.peek_key() != path:
            return None
        return self.next_entry()


# --- Parquet and ids ---------------------------------------------------------------------------


def _parquet_bytes(columns: dict[str, list[Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Arrays are built from raw buffers: pyarrow's list conversion imports pandas (~0.7 s)
    # and converts object by object; buffers are one join and no pandas.
    arrays = [_int64_array(v) if name in _INT_COLUMNS else _string_array(v) for name, v in columns.items()]
    table = pa.Table.from_arrays(arrays, names=list(columns))
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def _parquet_columns(data: bytes, names: Sequence[str], what: str) -> dict[str, list[Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # ParquetFile.read, unlike read_table, does not import pandas.
        table = pq.ParquetFile(pa.BufferReader(data)).read(columns=list(names), use_pandas_metadata=False)
        return {name: table.column(name).to_pylist() for name in names}
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise CorruptObjectError(f"{what} cannot be read: {exc}; the store is damaged") from None


def _string_array(values: Sequence[str]) -> Any:
    import pyarrow as pa

    encoded = [v.encode() for v in values]
    offsets = array("q", [0])
    offsets.extend(itertools.accumulate(map(len, encoded)))
    return pa.LargeStringArray.from_buffers(
        len(values), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))
    )


def _int64_array(values: Sequence[int]) -> Any:
    import pyarrow as pa

    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(array("q", values))])


def _metarange_id(ranges: Sequence[RangeRef]) -> str:
    rows = [[r.id, r.min_key, r.max_key, r.count] for r in ranges]
    payload = json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode()
    return blake3.blake3(payload).hexdigest()
