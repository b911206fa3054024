"""What every handler sees: the embedded store behind the API, lakeFS-style checksums,
pre-signing, and the switches tests turn (pre-sign support, page size, injected faults).

lakeFS reports an object's checksum as the MD5 of its bytes (for single-part uploads), while
the embedded store addresses blobs by BLAKE3: `Checksums` keeps the BLAKE3 -> MD5 mapping in
SQLite, filled on upload and computed (streamed) for objects it has not seen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeline.store import ObjectStats, Repository
from lakeline.store.local import LocalStore

from .errors import ApiError, not_found

PRESIGN_TTL = 900  # seconds, like lakeFS's default pre-signed URL lifetime


class Checksums:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()
        self._db().execute("CREATE TABLE IF NOT EXISTS md5 (blake3 TEXT PRIMARY KEY, md5 TEXT NOT NULL)")

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # an fsync per upload would dominate
            self.local.conn = conn
        return conn

    def record(self, blake3: str, md5: str) -> None:
        self._db().execute("INSERT OR REPLACE INTO md5 (blake3, md5) VALUES (?, ?)", (blake3, md5))

    def md5(self, repo: Repository, ref: str, stats: ObjectStats) -> str:
        row = self._db().execute("SELECT md5 FROM md5 WHERE blake3=?", (stats.checksum,)).fetchone()
        if row:
            return str(row[0])
        digest = hashlib.md5(usedforsecurity=False)
        with repo.open_object(ref, stats.path) as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        self.record(stats.checksum, digest.hexdigest())
        return digest.hexdigest()


class Presigner:
    """HMAC-signed, expiring URLs standing in for an object store's pre-signed URLs."""

    def __init__(self) -> None:
        self.key = os.urandom(32)

    def sign(
        self, base_url: str, kind: str, payload: dict[str, Any], ttl: int = PRESIGN_TTL
    ) -> tuple[str, int]:
        expiry = int(time.time()) + ttl
        body = base64.urlsafe_b64encode(json.dumps({**payload, "exp": expiry}).encode()).decode().rstrip("=")
        mac = hmac.new(self.key, f"{kind}.{body}".encode(), hashlib.sha256).hexdigest()
        return f"{base_url}/_presigned/{kind}/{body}.{mac}", expiry

    def verify(self, kind: str, token: str) -> dict[str, Any]:
        body, _, mac = token.rpartition(".")
        expected = hmac.new(self.key, f"{kind}.{body}".encode(), hashlib.sha256).hexdigest()
        if not body or not hmac.compare_digest(mac, expected):
            raise ApiError(403, "SignatureDoesNotMatch")
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if int(payload.get("exp", 0)) < time.time():
            raise ApiError(403, "Request has expired")
        return payload


@dataclass
class Fault:
    """Answer the next ``times`` matching requests with ``status`` instead of handling them."""

    status: int
    times: int
    method: str | None = None
    path_pattern: str = ""
    retry_after: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and re.search(
            self.path_pattern, path
        ) is not None


@dataclass
class ServerState:
    root: Path
    access_key_id: str
    secret_access_key: str
    user: str
    presign: bool
    page_limit: int
    base_url: str = ""
    store: LocalStore = field(init=False)
    checksums: Checksums = field(init=False)
    presigner: Presigner = field(default_factory=Presigner)
    faults: list[Fault] = field(default_factory=list)
    corrupt_paths: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = LocalStore(self.root / "store", committer=self.user)
        self.checksums = Checksums(self.root / "checksums.sqlite")
        (self.root / "uploads").mkdir(exist_ok=True)

    def repo(self, name: str) -> Repository:
        return self.store.repository(name)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            self.requests.append((method, path))
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    # --- physical addresses -------------------------------------------------------------------
    def physical_address(self, repo: Repository, stats: ObjectStats) -> str:
        namespace = repo.info().storage_namespace.rstrip("/")
        return f"{namespace}/data/{stats.checksum}"

    def new_upload(self, repo: Repository) -> tuple[str, str]:
        """A fresh staging address in the repository's namespace and its upload id."""
        upload_id = uuid.uuid4().hex
        namespace = repo.info().storage_namespace.rstrip("/")
        return f"{namespace}/data/{upload_id}", upload_id

    def upload_file(self, upload_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id):
            raise ApiError(400, "bad address token (expired or invalid)")
        return self.root / "uploads" / upload_id

    def object_json_for(self, repo: Repository, ref: str, stats: ObjectStats) -> dict[str, Any]:
        from .wire import object_json

        return object_json(
            stats,
            checksum=self.checksums.md5(repo, ref, stats),
            physical_address=self.physical_address(repo, stats),
        )

    def require_branch(self, repo: Repository, branch: str) -> None:
        from lakeline.errors import NotFoundError

        try:
            repo.get_branch(branch)
        except NotFoundError:
            raise not_found(f"branch '{branch}' not found") from None
