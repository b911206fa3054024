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
import itertools
import json
import os
import tempfile
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blake3

# Ranges hold 2**RANGE_BITS entries on average and never more than 4x that.
RANGE_BITS = 10
_GOLDEN = 0x9E3779B1


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


def ends_range(path: str, bits: int = RANGE_BITS) -> bool:
    """Content-defined boundary: deterministic per path, true for ~1 in 2**bits paths."""
    mixed = (zlib.crc32(path.encode()) * _GOLDEN) & 0xFFFFFFFF
    return (mixed >> (32 - bits)) == 0


_RANGE_COLUMNS = ("path", "checksum", "size", "mtime", "content_type", "metadata")
_META_COLUMNS = ("range_id", "min_key", "max_key", "count")
_INT_COLUMNS = frozenset({"size", "mtime", "count"})


class ManifestStore:
    """Reads and writes range and metarange files under ``<root>/ranges`` and ``<root>/metaranges``."""

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
        self._lock = threading.Lock()
        self._range_cache: OrderedDict[str, tuple[Entry, ...]] = OrderedDict()
        self._range_cache_size = cache_ranges
        self._meta_cache: OrderedDict[str, Metarange] = OrderedDict()
        # The empty tree needs no file to be read (opening a store stays free of pyarrow);
        # `write_empty` puts its file on disk for outside readers such as DuckDB.
        self.empty = Metarange(_content_id({name: [] for name in _META_COLUMNS}), ())

    def write_empty(self) -> Metarange:
        return self.write_metarange([])

    # --- paths ------------------------------------------------------------------------------
    def range_path(self, range_id: str) -> Path:
        return self.ranges_dir / range_id[:2] / f"{range_id}.parquet"

    def metarange_path(self, metarange_id: str) -> Path:
        return self.metaranges_dir / f"{metarange_id}.parquet"

    # --- ranges -----------------------------------------------------------------------------
    def write_range(self, entries: Sequence[Entry]) -> RangeRef:
        columns: dict[str, list[Any]] = {name: [] for name in _RANGE_COLUMNS}
        for e in entries:
            columns["path"].append(e.path)
            columns["checksum"].append(e.checksum)
            columns["size"].append(e.size)
            columns["mtime"].append(e.mtime)
            columns["content_type"].append(e.content_type)
            columns["metadata"].append(e.metadata)
        range_id = _content_id(columns)
        path = self.range_path(range_id)
        if not path.exists():
            self._write_parquet(columns, path)
        self._remember_range(range_id, tuple(entries))
        return RangeRef(range_id, entries[0].path, entries[-1].path, len(entries))

    def read_range(self, range_id: str) -> tuple[Entry, ...]:
        with self._lock:
            cached = self._range_cache.get(range_id)
            if cached is not None:
                self._range_cache.move_to_end(range_id)
                return cached
        columns = self._read_parquet(self.range_path(range_id), _RANGE_COLUMNS, f"range {range_id}")
        entries = tuple(
            map(
                Entry,
                columns["path"],
                columns["checksum"],
                columns["size"],
                columns["mtime"],
                columns["content_type"],
                columns["metadata"],
            )
        )
        self._remember_range(range_id, entries)
        return entries

    def _remember_range(self, range_id: str, entries: tuple[Entry, ...]) -> None:
        with self._lock:
            self._range_cache[range_id] = entries
            self._range_cache.move_to_end(range_id)
            while len(self._range_cache) > self._range_cache_size:
                self._range_cache.popitem(last=False)

    # --- metaranges -------------------------------------------------------------------------
    def write_metarange(self, ranges: Sequence[RangeRef]) -> Metarange:
        columns: dict[str, list[Any]] = {
            "range_id": [r.id for r in ranges],
            "min_key": [r.min_key for r in ranges],
            "max_key": [r.max_key for r in ranges],
            "count": [r.count for r in ranges],
        }
        metarange_id = _content_id(columns)
        path = self.metarange_path(metarange_id)
        if not path.exists():
            self._write_parquet(columns, path)
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
        columns = self._read_parquet(
            self.metarange_path(metarange_id), _META_COLUMNS, f"metarange {metarange_id}"
        )
        ranges = tuple(
            map(RangeRef, columns["range_id"], columns["min_key"], columns["max_key"], columns["count"])
        )
        metarange = Metarange(metarange_id, ranges)
        self._remember_metarange(metarange)
        return metarange

    def _remember_metarange(self, metarange: Metarange) -> None:
        with self._lock:
            self._meta_cache[metarange.id] = metarange
            self._meta_cache.move_to_end(metarange.id)
            while len(self._meta_cache) > 16:
                self._meta_cache.popitem(last=False)

    # --- files ------------------------------------------------------------------------------
    def _write_parquet(self, columns: dict[str, list[Any]], path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Arrays are built from raw buffers: pyarrow's list conversion imports pandas (~0.7 s)
        # and converts object by object; buffers are one join and no pandas.
        arrays = [
            _int64_array(v) if name in _INT_COLUMNS else _string_array(v) for name, v in columns.items()
        ]
        table = pa.Table.from_arrays(arrays, names=list(columns))
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp, prefix="manifest-")
        try:
            with os.fdopen(fd, "wb") as out:
                pq.write_table(table, out, compression="zstd")
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _read_parquet(self, path: Path, names: Sequence[str], what: str) -> dict[str, list[Any]]:
        import pyarrow.parquet as pq

        from lakeline.errors import CorruptObjectError

        try:
            # ParquetFile.read, unlike read_table, does not import pandas.
            table = pq.ParquetFile(path).read(columns=list(names), use_pandas_metadata=False)
            columns: dict[str, list[Any]] = {name: table.column(name).to_pylist() for name in names}
        except FileNotFoundError:
            raise CorruptObjectError(f"{what} is missing ({path}); the store is damaged") from None
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise CorruptObjectError(f"{what} cannot be read ({path}): {exc}") from None
        if _content_id(columns) != path.stem:
            raise CorruptObjectError(f"{what} does not match its content id ({path}); the store is damaged")
        return columns

    # --- trees ------------------------------------------------------------------------------
    def cursor(self, metarange: Metarange) -> TreeCursor:
        return TreeCursor(self, metarange)

    def lookup(self, metarange: Metarange, path: str) -> Entry | None:
        ranges = metarange.ranges
        i = bisect.bisect_left(_MaxKeys(ranges), path)
        if i == len(ranges) or ranges[i].min_key > path:
            return None
        entries = self.read_range(ranges[i].id)
        j = bisect.bisect_left(_Paths(entries), path)
        if j < len(entries) and entries[j].path == path:
            return entries[j]
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
        bits, cap = self.range_bits, self.max_range_entries
        ranges = metarange.ranges
        out: list[RangeRef] = []
        chunk: list[Entry] = []

        def feed(entry: Entry) -> None:
            chunk.append(entry)
            if ends_range(entry.path, bits) or len(chunk) >= cap:
                out.append(self.write_range(chunk))
                chunk.clear()

        ci = 0
        last = len(ranges) - 1
        for i, rng in enumerate(ranges):
            end = ci
            if i == last:
                end = len(pending)
            else:
                while end < len(pending) and pending[end][0] <= rng.max_key:
                    end += 1
            if end == ci and not chunk:
                out.append(rng)
                continue
            for entry in _merge_sorted(self.read_range(rng.id), pending[ci:end]):
                feed(entry)
            ci = end
        for _, new in pending[ci:]:
            if new is not None:
                feed(new)
        if chunk:
            out.append(self.write_range(chunk))
        if len(out) == len(ranges) and all(a.id == b.id for a, b in zip(out, ranges, strict=True)):
            return metarange
        return self.write_metarange(out)


def _merge_sorted(entries: Sequence[Entry], changes: Sequence[tuple[str, Entry | None]]) -> Iterator[Entry]:
    i = 0
    for path, new in changes:
        while i < len(entries) and entries[i].path < path:
            yield entries[i]
            i += 1
        if i < len(entries) and entries[i].path == path:
            i += 1
        if new is not None:
            yield new
    yield from entries[i:]


class TreeCursor:
    """A forward cursor over one tree that loads ranges only when their entries are needed."""

    def __init__(self, manifests: ManifestStore, metarange: Metarange) -> None:
        self._manifests = manifests
        self.ranges = metarange.ranges
        self.ri = 0
        self._entries: tuple[Entry, ...] | None = None
        self._pos = 0

    def seek(self, key: str) -> None:
        """Move forward to the first entry with path >= ``key``."""
        if not key:
            return
        if self._entries is not None and self._entries and self._entries[-1].path >= key:
            self._pos = max(self._pos, bisect.bisect_left(_Paths(self._entries), key))
            return
        ri = bisect.bisect_left(_MaxKeys(self.ranges), key, lo=self.ri)
        if ri != self.ri:
            self.ri = ri
            self._entries = None
        if self.ri < len(self.ranges) and self.ranges[self.ri].min_key < key:
            self.load()
            assert self._entries is not None
            self._pos = bisect.bisect_left(_Paths(self._entries), key)

    def at_range_start(self) -> bool:
        return self._entries is None and self.ri < len(self.ranges)

    def range_id(self) -> str:
        return self.ranges[self.ri].id

    def skip_range(self) -> None:
        self.ri += 1
        self._entries = None
        self._pos = 0

    def peek_key(self) -> str | None:
        if self.ri >= len(self.ranges):
            return None
        if self._entries is None:
            return self.ranges[self.ri].min_key
        return self._entries[self._pos].path

    def load(self) -> None:
        if self._entries is None and self.ri < len(self.ranges):
            self._entries = self._manifests.read_range(self.ranges[self.ri].id)
            self._pos = 0

    def next_entry(self) -> Entry | None:
        if self.ri >= len(self.ranges):
            return None
        self.load()
        assert self._entries is not None
        entry = self._entries[self._pos]
        self._pos += 1
        if self._pos >= len(self._entries):
            self.skip_range()
        return entry

    def get(self, path: str) -> Entry | None:
        """The entry at ``path`` (paths asked must not decrease)."""
        self.seek(path)
        key = self.peek_key()
        if key != path:
            return None
        return self.next_entry()


class _MaxKeys(Sequence[str]):
    """A view of the ranges' max keys for bisect without copying them."""

    def __init__(self, ranges: Sequence[RangeRef]) -> None:
        self._ranges = ranges

    def __len__(self) -> int:
        return len(self._ranges)

    def __getitem__(self, i: Any) -> Any:
        return self._ranges[i].max_key


class _Paths(Sequence[str]):
    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, i: Any) -> Any:
        return self._entries[i].path


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


def _content_id(columns: dict[str, list[Any]]) -> str:
    payload = json.dumps(columns, separators=(",", ":"), ensure_ascii=False).encode()
    return blake3.blake3(payload).hexdigest()
