"""Diff and three-way merge of trees, streamed in path order.

Both walk two `TreeCursor`s side by side and skip a range whenever both cursors stand at the
start of ranges with the same id (identical content), so the cost follows the difference, not
the tree size, and memory holds at most a range per side. A merge produces a sorted change
stream that `ManifestStore.apply` writes onto the destination tree, just as a commit applies
its staging area.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lakeline.store.local.manifest import Entry, ManifestStore, Metarange, same


@dataclass(frozen=True, slots=True)
class TreeChange:
    path: str
    left: Entry | None
    right: Entry | None


def diff_trees(
    manifests: ManifestStore, left: Metarange, right: Metarange, *, start: str = "", prefix: str = ""
) -> Iterator[TreeChange]:
    """Paths whose entries differ between ``left`` and ``right`` (path >= start, under prefix)."""
    if left.id == right.id:
        return
    lc, rc = manifests.cursor(left), manifests.cursor(right)
    first = max(start, prefix)
    lc.seek(first)
    rc.seek(first)
    while True:
        lk, rk = lc.peek_key(), rc.peek_key()
        if lk is None and rk is None:
            return
        key: str = min(k for k in (lk, rk) if k is not None)
        if prefix and not key.startswith(prefix):
            return
        if lc.at_range_start() and rc.at_range_start():
            lr, rr = lc.ranges[lc.ri], rc.ranges[rc.ri]
            if lr.id == rr.id:
                lc.skip_range()
                rc.skip_range()
                continue
            if lr.min_key == rr.min_key and lr.max_key == rr.max_key:
                # Aligned ranges (the usual case after in-place changes): compare whole columns.
                lrows, rrows = lc.load(), rc.load()
                if lrows.paths == rrows.paths:
                    for row in lrows.differing_rows(rrows):
                        path = lrows.paths[row]
                        if path.startswith(prefix):
                            yield TreeChange(path, lrows.entry(row), rrows.entry(row))
                    lc.skip_range()
                    rc.skip_range()
                    continue
        # Entry by entry. A cursor at an unloaded range start shows the range's min key; load
        # it so the entries compared are real ones.
        if lk == key:
            lc.load()
        if rk == key:
            rc.load()
        lentry = lc.next_entry() if lk == key else None
        rentry = rc.next_entry() if rk == key else None
        if not same(lentry, rentry):
            yield TreeChange(key, lentry, rentry)


@dataclass(frozen=True)
class MergePlan:
    changes: list[tuple[str, Entry | None]]  # sorted by path, to apply onto the destination
    conflicts: list[str]
    source_changed: bool  # the source differs from the base at all


def plan_merge(
    manifests: ManifestStore,
    base: Metarange,
    source: Metarange,
    dest: Metarange,
    strategy: str | None,
    conflict_limit: int = 1000,
) -> MergePlan:
    """Three-way, whole-object merge: apply base->source changes onto dest.

    A path is a conflict when dest changed it since base and source changed it differently
    (deleted vs changed counts). ``dest-wins`` keeps dest's side, ``source-wins`` takes the
    source's; otherwise the conflicting paths are reported and nothing is planned.
    """
    changes: list[tuple[str, Entry | None]] = []
    conflicts: list[str] = []
    source_changed = False
    dest_cursor = manifests.cursor(dest)
    for change in diff_trees(manifests, base, source):
        source_changed = True
        ours = dest_cursor.get(change.path)
        if same(ours, change.left):
            changes.append((change.path, change.right))
        elif same(ours, change.right):
            continue
        elif strategy == "source-wins":
            changes.append((change.path, change.right))
        elif strategy == "dest-wins":
            continue
        elif len(conflicts) < conflict_limit:
            conflicts.append(change.path)
    return MergePlan(changes, conflicts, source_changed)
