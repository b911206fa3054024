"""Registry events on the store: the record (docs/formats.md) and its log on ``lakeline-registry``.

Each event is one commit holding one new object ``_lakeline/events/<time>-<id>.json``; events
are never edited or deleted. Reading lists that prefix and fetches only objects not already in
a local cache keyed by path and checksum (events are immutable, so the cache can only miss).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from lakeline.errors import (
    AlreadyExistsError,
    CorruptObjectError,
    NoChangesError,
    NotFoundError,
    RegistryError,
)
from lakeline.names import REGISTRY_BRANCH, RESERVED_PREFIX
from lakeline.store.base import ObjectStats, Repository

EVENT_SCHEMA = "lakeline.event/1"
EVENTS_PREFIX = f"{RESERVED_PREFIX}events/"
EventType = Literal["promote", "approve", "alias", "deploy", "rollback", "retire"]
EVENT_TYPES: tuple[str, ...] = ("promote", "approve", "alias", "deploy", "rollback", "retire")
CACHE_FILE = "registry-events.json"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    time: str  # ISO 8601 UTC with microseconds and "Z"
    user: str
    model: str
    version: str | None  # "v1.2.0"; None for approvals
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        type: EventType,
        *,
        user: str,
        model: str,
        version: str | None,
        reason: str = "",
        details: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Event:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(
            id=uuid.uuid4().hex,
            type=type,
            time=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            user=user,
            model=model,
            version=version,
            reason=reason,
            details=dict(details or {}),
        )

    @property
    def path(self) -> str:
        """``_lakeline/events/20261123T100000123456Z-<id>.json``: names sort by time."""
        stamp = self.time.replace("-", "").replace(":", "").replace(".", "")
        return f"{EVENTS_PREFIX}{stamp}-{self.id}.json"

    def to_record(self) -> dict[str, Any]:
        return {
            "schema": EVENT_SCHEMA,
            "id": self.id,
            "type": self.type,
            "time": self.time,
            "user": self.user,
            "model": self.model,
            "version": self.version,
            "reason": self.reason,
            "details": dict(self.details),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_record(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes, *, where: str = "event") -> Event:
        try:
            raw = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptObjectError(f"{where} is not valid JSON: {exc}") from None
        return cls.from_record(raw, where=where)

    @classmethod
    def from_record(cls, raw: Any, *, where: str = "event") -> Event:
        if not isinstance(raw, dict) or raw.get("schema") != EVENT_SCHEMA:
            raise CorruptObjectError(f"{where} is not a {EVENT_SCHEMA} record")
        try:
            return cls(
                id=str(raw["id"]),
                type=str(raw["type"]),
                time=str(raw["time"]),
                user=str(raw["user"]),
                model=str(raw["model"]),
                version=None if raw.get("version") is None else str(raw["version"]),
                reason=str(raw.get("reason") or ""),
                details=dict(raw.get("details") or {}),
            )
        except KeyError as exc:
            raise CorruptObjectError(f"{where} lacks the field {exc.args[0]!r}") from None

    def as_row(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "type": self.type,
            "model": self.model,
            "version": self.version,
            "user": self.user,
            "reason": self.reason,
            "details": dict(self.details),
            "id": self.id,
        }


class EventLog:
    """The events of one repository, appended as commits on the registry branch."""

    def __init__(self, repo: Repository, *, cache_dir: Path | None = None, main: str = "main") -> None:
        self.repo = repo
        self.main = main
        self._cache_path = cache_dir / CACHE_FILE if cache_dir is not None else None

    # --- writing ------------------------------------------------------------------------------
    def append(self, event: Event) -> str:
        """Commit ``event`` on the registry branch; returns the commit id."""
        self._ensure_branch()
        self.repo.put_object(
            REGISTRY_BRANCH, event.path, event.to_json().encode("utf-8"), content_type="application/json"
        )
        what = f"{event.model} {event.version}" if event.version else event.model
        message = f"{event.type} {what}" + (f": {event.reason}" if event.reason else "")
        metadata = {"lakeline.kind": "event", "lakeline.event": event.type, "lakeline.event_id": event.id}
        try:
            return self.repo.commit(REGISTRY_BRANCH, message, metadata=metadata).id
        except NoChangesError:
            # A concurrent writer's commit took our staged object with it: the event is stored.
            self.repo.stat_object(f"{REGISTRY_BRANCH}", event.path)
            return self.repo.get_branch(REGISTRY_BRANCH).commit_id

    def _ensure_branch(self) -> None:
        try:
            self.repo.get_branch(REGISTRY_BRANCH)
            return
        except NotFoundError:
            pass
        root = None
        for commit in self.repo.log(self.main, first_parent=True):
            root = commit.id
        if root is None:
            raise RegistryError(f"branch {self.main!r} has no commits to start {REGISTRY_BRANCH!r} from")
        # Another process may create it first; either way it exists afterwards.
        with contextlib.suppress(AlreadyExistsError):
            self.repo.create_branch(REGISTRY_BRANCH, root)

    # --- reading ------------------------------------------------------------------------------
    def head(self) -> str | None:
        """The registry branch's head commit id (None before the first event)."""
        try:
            return self.repo.get_branch(REGISTRY_BRANCH).commit_id
        except NotFoundError:
            return None

    def read(self, at: str | None = None) -> list[Event]:
        """Every event committed at ``at`` (default: the registry head), oldest first."""
        ref = at if at is not None else self.head()
        if ref is None:
            return []
        cache = self._load_cache()
        fresh: dict[str, dict[str, Any]] = {}
        events: list[Event] = []
        for stats in self._list(ref):
            entry = cache.get(stats.path)
            if entry is not None and entry.get("checksum") == stats.checksum:
                event = Event.from_record(entry["event"], where=stats.path)
            else:
                data = self.repo.get_object(ref, stats.path)
                event = Event.from_json(data, where=f"event object {stats.path}")
            fresh[stats.path] = {"checksum": stats.checksum, "event": event.to_record()}
            events.append(event)
        if fresh.keys() != cache.keys() or any(
            cache[k]["checksum"] != v["checksum"] for k, v in fresh.items()
        ):
            self._save_cache(fresh)
        return events

    def _list(self, ref: str) -> Iterator[ObjectStats]:
        for entry in self.repo.list_objects(ref, prefix=EVENTS_PREFIX):
            if isinstance(entry, ObjectStats) and entry.path.endswith(".json"):
                yield entry

    def _load_cache(self) -> dict[str, dict[str, Any]]:
        if self._cache_path is None:
            return {}
        try:
            raw = json.loads(self._cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict) or raw.get("repository") != self.repo.name:
            return {}
        events = raw.get("events")
        return events if isinstance(events, dict) else {}

    def _save_cache(self, entries: dict[str, dict[str, Any]]) -> None:
        if self._cache_path is None or not self._cache_path.parent.is_dir():
            return
        text = json.dumps({"repository": self.repo.name, "events": entries}, sort_keys=True)
        tmp = self._cache_path.with_name(f".{self._cache_path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self._cache_path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a cache we cannot write only costs reads
