"""What every registry action needs: the repository, who acts, the policy, the event log.

`RegistryContext` is built by `lakeline.Project` and handed to the action functions. Its
`locked()` serialises read-decide-write sequences between lakeline processes of one
project (an fcntl lock in ``.lakeline/``), so two deploys cannot both build on the same split.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakeline.errors import CorruptObjectError, NotFoundError, RegistryError
from lakeline.names import COMMIT_ID, PROVENANCE_PATH
from lakeline.registry.events import Event, EventLog, EventType
from lakeline.registry.policy import Policy, load_policy
from lakeline.registry.state import RegistryState
from lakeline.store.base import Repository

LOCK_FILE = "registry.lock"
# Per-process memos of immutable things: the state at a registry head, the record at a commit.
_STATES: dict[tuple[str, str, str], RegistryState] = {}
_RECORDS: dict[tuple[str, str, str], dict[str, Any] | None] = {}
_MEMO_SIZE = 16


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _MEMO_SIZE:
        memo.pop(next(iter(memo)))
    memo[key] = value


@dataclass
class RegistryContext:
    repo: Repository
    user: str
    root: Path  # the project root (where lakeline.yaml lives)
    state_dir: Path  # .lakeline/ (lock and event cache)
    main: str = "main"

    @property
    def log(self) -> EventLog:
        return EventLog(self.repo, cache_dir=self.state_dir, main=self.main)

    def state(self) -> RegistryState:
        """The state folded from every event; reused while the registry head stays put."""
        log = self.log
        head = log.head()
        if head is None:
            return RegistryState()
        key = (str(self.state_dir), self.repo.name, head)
        state = _STATES.get(key)
        if state is None:
            state = RegistryState.fold(log.read(at=head))
            _remember(_STATES, key, state)
        return state

    def policy(self) -> Policy:
        return load_policy(self.root)

    def record(
        self,
        type: EventType,
        *,
        model: str,
        version: str | None,
        reason: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> Event:
        event = Event.new(type, user=self.user, model=model, version=version, reason=reason, details=details)
        self.log.append(event)
        return event

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the project's registry lock (waits for another lakeline process to finish)."""
        import fcntl

        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / LOCK_FILE, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def provenance(self, ref: str) -> dict[str, Any] | None:
        """The provenance record at ``ref`` (docs/formats.md), or None if it has none."""
        key = (str(self.state_dir), self.repo.name, ref)
        if COMMIT_ID.fullmatch(ref) and key in _RECORDS:
            return copy.deepcopy(_RECORDS[key])
        record = self._read_provenance(ref)
        if COMMIT_ID.fullmatch(ref):  # a commit never changes, so neither does its record
            _remember(_RECORDS, key, copy.deepcopy(record))
        return record

    def _read_provenance(self, ref: str) -> dict[str, Any] | None:
        try:
            data = self.repo.get_object(ref, PROVENANCE_PATH)
        except NotFoundError:
            return None
        try:
            record = json.loads(data)
        except ValueError as exc:
            raise CorruptObjectError(f"{PROVENANCE_PATH} at {ref} is not valid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise CorruptObjectError(f"{PROVENANCE_PATH} at {ref} is not a JSON object")
        return record

    def require_provenance(self, ref: str, what: str) -> dict[str, Any]:
        record = self.provenance(ref)
        if record is None:
            raise RegistryError(
                f"{what} has no provenance record ({PROVENANCE_PATH}): "
                "run 'dvc repro' and 'lakeline commit' on it first"
            )
        return record
