"""What the workspace last got from, or gave to, the store: ``.lakeline/workspace.json``.

Checkout and commit record every tracked file's MD5, size and mtime; later, a file whose
bytes still hash to the recorded MD5 is known to be clean, so checkout may replace it, and the
size/mtime pair lets status skip rehashing unchanged files. A missing or unreadable state file
only makes checkout more careful (every differing file counts as a local change).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lakeline.config import write_atomic
from lakeline.pipeline.hashing import md5_file

STATE_FILE = "workspace.json"
STATE_SCHEMA = "lakeline.workspace/1"


@dataclass(frozen=True)
class FileRecord:
    md5: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class WorkspaceState:
    branch: str | None = None
    ref: str | None = None
    commit_id: str | None = None
    files: Mapping[str, FileRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, state_dir: Path) -> WorkspaceState:
        try:
            raw = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
            files = {
                str(path): FileRecord(str(rec["md5"]), int(rec["size"]), int(rec["mtime_ns"]))
                for path, rec in raw["files"].items()
            }
            return cls(
                branch=raw.get("branch"), ref=raw.get("ref"), commit_id=raw.get("commit_id"), files=files
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def save(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        body = {
            "schema": STATE_SCHEMA,
            "branch": self.branch,
            "ref": self.ref,
            "commit_id": self.commit_id,
            "files": {
                path: {"md5": rec.md5, "size": rec.size, "mtime_ns": rec.mtime_ns}
                for path, rec in sorted(self.files.items())
            },
        }
        write_atomic(state_dir / STATE_FILE, json.dumps(body, indent=1, sort_keys=True) + "\n")


class HashCache:
    """MD5s of workspace files, reusing a recorded MD5 while size and mtime are unchanged."""

    def __init__(self, root: Path, known: Mapping[str, FileRecord] | None = None) -> None:
        self.root = root
        self._known = dict(known or {})

    def record(self, rel: str, *, md5: str | None = None) -> FileRecord:
        """The file's record now; ``md5`` (already known, e.g. just written) skips hashing."""
        full = self.root / rel
        st = full.stat()
        known = self._known.get(rel)
        if md5 is None:
            if known is not None and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns:
                md5 = known.md5
            else:
                md5 = md5_file(full)
        record = FileRecord(md5=md5, size=st.st_size, mtime_ns=st.st_mtime_ns)
        self._known[rel] = record
        return record

    def md5(self, rel: str) -> str:
        return self.record(rel).md5

    def lexists(self, rel: str) -> bool:
        return os.path.lexists(self.root / rel)
