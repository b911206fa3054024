"""A lakeFS-API-compatible test server backed by lakeline's embedded store.

Faithful to lakeFS's published API (paths under /api/v1, JSON shapes, status codes, error
bodies, pagination, pre-signed URLs) for the subset lakeline's lakeFS backend uses; every JSON
answer is checked against lakefs-sdk's models. Modules: `server` (HTTP, auth, lifecycle),
`routing` (route table), `handlers/` (one per resource), `errors` (lakeFS error answers),
`pagination`, `wire` (request parsing, JSON shapes), `state` (store, checksums, pre-signing).

Run standalone: ``python -m tests.lakefs_server --port 8000 --root /tmp/lakefs``.
"""

from .server import LakeFSTestServer

__all__ = ["LakeFSTestServer"]
