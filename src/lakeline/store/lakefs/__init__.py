"""The lakeFS backend: the store protocol over lakefs-sdk (metadata) and streamed HTTP (bytes).

`store` holds the protocol classes, `client` the connection (retries, timeouts), `errors` the
one translation from lakeFS failures to `lakeline.errors`, `transfer` the data path.
Credentials come from `lakeline.store.lakefs_config`.
"""

from lakeline.store.lakefs.store import LakeFSRepository, LakeFSStore

__all__ = ["LakeFSRepository", "LakeFSStore"]
