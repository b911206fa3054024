"""`LocalStore`: the embedded store root holding many repositories.

Layout under the root: ``metadata.sqlite`` (refs, commits, staging, small blobs), ``blobs/``
(larger objects' bytes by BLAKE3), ``ranges/`` and ``metaranges/`` (Parquet manifests), ``tmp/`` (files being
written; leftovers from a crash are garbage, never visible). See docs/store.md.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from pathlib import Path

from lakeline.errors import AlreadyExistsError, ConfigError, NotFoundError
from lakeline.names import check_branch_name, check_repository_name
from lakeline.store.base import Commit, RepositoryInfo
from lakeline.store.local.blobs import BlobStore
from lakeline.store.local.manifest import RANGE_BITS, ManifestStore
from lakeline.store.local.metadata import MetadataDB
from lakeline.store.local.repository import LocalRepository, commit_id_for

FIRST_COMMIT_MESSAGE = "Repository created"


def _default_committer() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return "unknown"


class LocalStore:
    def __init__(
        self, path: str | Path, committer: str | None = None, *, range_bits: int = RANGE_BITS
    ) -> None:
        """Open (creating if needed) the store at ``path``. ``range_bits`` tunes manifest ranges
        (2**range_bits entries on average); tests use small ranges to exercise range logic."""
        self.root = Path(path).resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the store folder {self.root}: {exc.strerror}") from None
        self.committer = committer or _default_committer()
        self.db = MetadataDB(self.root / "metadata.sqlite")
        self.blobs = BlobStore(self.root, self.db)
        self.manifests = ManifestStore(self.root, range_bits=range_bits)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def create_repository(
        self, name: str, *, default_branch: str = "main", storage_namespace: str | None = None
    ) -> LocalRepository:
        check_repository_name(name)
        check_branch_name(default_branch)
        namespace = storage_namespace or f"local://{self.root / 'repositories' / name}"
        now = int(time.time())
        empty = self.manifests.write_empty()
        commit_id = commit_id_for(self.committer, FIRST_COMMIT_MESSAGE, empty.id, now, {}, ())
        first = Commit(commit_id, (), self.committer, FIRST_COMMIT_MESSAGE, now, empty.id, {}, 1)
        with self.db.write() as conn:
            if self.db.get_repository(name) is not None:
                raise AlreadyExistsError(f"repository {name!r} already exists in {self.root}")
            conn.execute(
                "INSERT INTO repositories (name, default_branch, storage_namespace, creation_date) "
                "VALUES (?,?,?,?)",
                (name, default_branch, namespace, now),
            )
            self.db.insert_commit(conn, name, first)
            conn.execute(
                "INSERT INTO branches (repo, name, commit_id) VALUES (?,?,?)",
                (name, default_branch, commit_id),
            )
        return LocalRepository(self, name)

    def repository(self, name: str) -> LocalRepository:
        if self.db.get_repository(name) is None:
            raise NotFoundError(f"repository {name!r} not found in {self.root}")
        return LocalRepository(self, name)

    def list_repositories(self) -> Iterator[RepositoryInfo]:
        return iter(self.db.list_repositories())

    def delete_repository(self, name: str) -> None:
        """Remove the repository's refs, commits and staging; blobs and manifests stay (shared)."""
        with self.db.write() as conn:
            if self.db.get_repository(name) is None:
                raise NotFoundError(f"repository {name!r} not found in {self.root}")
            for table in ("branches", "tags", "commits", "staging"):
                conn.execute(f"DELETE FROM {table} WHERE repo=?", (name,))
            conn.execute("DELETE FROM repositories WHERE name=?", (name,))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
