"""Reading ahead during sync: listings of small new trees and lakeline's own objects
(provenance records, events) for the next commits, on worker threads, in commit order and a
bounded window ahead. Store calls are I/O (on lakeFS each is a round trip), so this is where
most of a large sync's time goes.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from lakeline.catalog.rows import EVENTS_PREFIX, Entry, object_entry
from lakeline.errors import LakelineError
from lakeline.names import PROVENANCE_PATH
from lakeline.store.base import Commit, ObjectStats, Repository


def provenance_path(commit: Commit) -> str:
    return commit.metadata.get("lakeline.provenance") or PROVENANCE_PATH


@dataclass(frozen=True)
class Fetched:
    """What was read ahead for one commit: its listing if small, and objects sync will read."""

    tree: dict[str, Entry] | None = None
    objects: Mapping[str, bytes] = field(default_factory=dict)


class Prefetcher:
    """Reads listings and lakeline's own objects for the next commits on worker threads, in
    order, a bounded window ahead (store calls are I/O: on lakeFS each is a round trip)."""

    WORKERS = 4
    WINDOW = 64

    def __init__(self, repo: Repository, commits: list[Commit], to_list: set[str], limit: int) -> None:
        self.repo = repo
        self.commits = commits
        self.to_list = to_list
        self.limit = limit
        self.fetched_checksums: set[str] = set()

    def __enter__(self) -> Iterator[Fetched]:
        self.pool = ThreadPoolExecutor(max_workers=self.WORKERS, thread_name_prefix="lakeline-sync")
        return self._results()

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _results(self) -> Iterator[Fetched]:
        queue: deque[Future[Fetched]] = deque()
        pending = iter(self.commits)
        for commit in pending:
            queue.append(self.pool.submit(self._fetch, commit))
            if len(queue) >= self.WINDOW:
                break
        while queue:
            yield queue.popleft().result()
            commit_or_none = next(pending, None)
            if commit_or_none is not None:
                queue.append(self.pool.submit(self._fetch, commit_or_none))

    def _fetch(self, commit: Commit) -> Fetched:
        if commit.id not in self.to_list:
            return Fetched()
        tree: dict[str, Entry] = {}
        for item in self.repo.list_objects(commit.id, amount=self.limit + 1):
            if isinstance(item, ObjectStats):
                tree[item.path] = object_entry(item)
        if len(tree) > self.limit:
            return Fetched()  # a big tree: built from its parent's plus a diff, in order
        wanted = []
        prov = tree.get(provenance_path(commit))
        if prov is not None and prov[0] not in self.fetched_checksums:
            self.fetched_checksums.add(prov[0])
            wanted.append(provenance_path(commit))
        event_id = commit.metadata.get("lakeline.event_id")
        if event_id:
            wanted += [p for p in tree if p.startswith(EVENTS_PREFIX) and p.endswith(f"-{event_id}.json")]
        objects = {}
        for path in wanted:
            with contextlib.suppress(LakelineError):  # read again, in order, where errors are handled
                objects[path] = self.repo.get_object(commit.id, path)
        return Fetched(tree, objects)
