"""The connection to one lakeFS server: lakefs-sdk API objects plus a raw data-path pool.

Every call goes through `LakeFSClient.call` (SDK) or `LakeFSClient.raw` (streamed bodies),
which add timeouts, retry with exponential backoff (429/503/423 always, other 5xx and
transport errors only for idempotent calls, so a commit is never applied twice), and turn
failures into `lakeline.errors` through `errors.translate`. Imported only when the lakeFS
backend is used (lakefs_sdk is slow to import).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import lakefs_sdk
import urllib3
from lakefs_sdk.exceptions import ApiException

from lakeline.errors import LakelineError
from lakeline.store.lakefs.errors import translate, unreachable
from lakeline.store.lakefs_config import LakeFSSettings

T = TypeVar("T")

# Statuses that promise the server did not act, so any request may be repeated.
ALWAYS_RETRY = frozenset({420, 423, 429, 503})
# Statuses after which only an idempotent request may be repeated.
IDEMPOTENT_RETRY = frozenset({500, 502, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.25  # seconds; doubles per attempt, with jitter
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        backoff = min(self.base_delay * (2**attempt), self.max_delay)
        return float(backoff * (0.5 + random.random() / 2))


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 120.0  # between two bytes, not for the whole transfer

    def sdk(self) -> tuple[float, float]:
        return (self.connect, self.read)

    def urllib3(self) -> urllib3.Timeout:
        return urllib3.Timeout(connect=self.connect, read=self.read)


class LakeFSClient:
    """lakefs-sdk API objects for one server, with retries, timeouts and error translation."""

    def __init__(
        self,
        settings: LakeFSSettings,
        *,
        pool_size: int = 32,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint = settings.endpoint
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        config = lakefs_sdk.Configuration(
            host=settings.endpoint,
            username=settings.access_key_id,
            password=settings.secret_access_key,
        )
        # Retries are ours (they know which calls are idempotent); urllib3 must not add its own.
        config.retries = urllib3.Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False)
        config.connection_pool_maxsize = pool_size
        self.api_client = lakefs_sdk.ApiClient(config)
        self.api_client.user_agent = "lakeline (lakefs-python-sdk)"
        self.repositories = lakefs_sdk.RepositoriesApi(self.api_client)
        self.branches = lakefs_sdk.BranchesApi(self.api_client)
        self.tags = lakefs_sdk.TagsApi(self.api_client)
        self.commits = lakefs_sdk.CommitsApi(self.api_client)
        self.refs = lakefs_sdk.RefsApi(self.api_client)
        self.objects = lakefs_sdk.ObjectsApi(self.api_client)
        self.staging = lakefs_sdk.StagingApi(self.api_client)
        self.config = lakefs_sdk.ConfigApi(self.api_client)
        # The data path has its own pool: large socket blocks for throughput, sized for
        # parallel transfers, and no auth headers unless a request asks for them.
        self.data_pool = urllib3.PoolManager(
            num_pools=8,
            maxsize=pool_size,
            retries=urllib3.Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False),
            blocksize=1 << 20,
        )
        self._auth_header = urllib3.make_headers(
            basic_auth=f"{settings.access_key_id}:{settings.secret_access_key}"
        )
        self._storage_config: Any = None
        self._lock = threading.Lock()

    # --- SDK calls ----------------------------------------------------------------------------
    def call(
        self, action: str, fn: Callable[..., T], *args: Any, idempotent: bool = True, **kwargs: Any
    ) -> T:
        """``fn(*args, **kwargs)`` (an SDK API method) with timeout, retries and translation."""
        last = self.retry.attempts - 1
        for attempt in range(self.retry.attempts):
            try:
                return fn(*args, _request_timeout=self.timeouts.sdk(), **kwargs)
            except ApiException as exc:
                status = int(exc.status or 0)
                if status == 0:  # the SDK's wrapper for TLS failures: no HTTP answer
                    if attempt < last:
                        self._sleep(attempt, None)
                        continue
                    raise unreachable(self.settings.server_url, action, exc) from None
                if attempt < last and self.retryable(status, idempotent):
                    self._sleep(attempt, retry_after(exc.headers))
                    continue
                raise translate(status, exc.body, action) from None
            except urllib3.exceptions.HTTPError as exc:
                if attempt < last and (idempotent or never_sent(exc)):
                    self._sleep(attempt, None)
                    continue
                raise unreachable(self.settings.server_url, action, exc) from None
        raise AssertionError("unreachable: the retry loop always returns or raises")

    @staticmethod
    def retryable(status: int, idempotent: bool) -> bool:
        return status in ALWAYS_RETRY or (idempotent and status in IDEMPOTENT_RETRY)

    def _sleep(self, attempt: int, retry_after_s: float | None) -> None:
        time.sleep(self.retry.delay(attempt, retry_after_s))

    # --- raw data path ------------------------------------------------------------------------
    def url(self, *segments: str, query: Iterable[tuple[str, str]] = ()) -> str:
        """An API URL with each path segment and query value percent-encoded like the SDK."""
        path = "/".join(quote(segment, safe="") for segment in segments)
        url = f"{self.endpoint}/{path}"
        parts = [f"{key}={quote(value, safe='')}" for key, value in query]
        return url + ("?" + "&".join(parts) if parts else "")

    def raw(
        self,
        action: str,
        method: str,
        url: str,
        *,
        body: Callable[[], Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        idempotent: bool = True,
        stream: bool = False,
        ok: Iterable[int] = (200, 201, 204),
    ) -> urllib3.BaseHTTPResponse:
        """One request outside the SDK (streamed bodies, pre-signed URLs). ``body`` makes a
        fresh body per attempt (a file rewound to its start). With ``stream`` the caller reads
        the returned response and must call ``release_conn()``."""
        accepted = frozenset(ok)
        send_headers = dict(headers or {})
        if authenticated:
            send_headers.update(self._auth_header)
        last = self.retry.attempts - 1
        for attempt in range(self.retry.attempts):
            try:
                response = self.data_pool.request(
                    method,
                    url,
                    body=body() if body is not None else None,
                    headers=send_headers,
                    preload_content=not stream,
                    timeout=self.timeouts.urllib3(),
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as exc:
                if attempt < last and (idempotent or never_sent(exc)):
                    self._sleep(attempt, None)
                    continue
                raise unreachable(self.settings.server_url, action, exc) from None
            if response.status in accepted:
                return response
            error_body = response.data if not stream else response.read(64 * 1024)
            response.release_conn()
            if attempt < last and self.retryable(response.status, idempotent):
                self._sleep(attempt, retry_after(response.headers))
                continue
            raise translate(response.status, error_body, action)
        raise AssertionError("unreachable: the retry loop always returns or raises")

    # --- server facts -------------------------------------------------------------------------
    def storage_config(self) -> Any:
        """The server's storage config (``GET /config``), fetched once; None if not served."""
        with self._lock:
            if self._storage_config is None:
                try:
                    config = self.call("read lakeFS server config", self.config.get_config)
                except LakelineError as exc:
                    if getattr(exc, "status", None) != 404:
                        raise
                    config = None
                storage = getattr(config, "storage_config", None)
                if storage is None and config is not None and config.storage_config_list:
                    storage = config.storage_config_list[0]
                self._storage_config = storage if storage is not None else False
            return self._storage_config or None

    def blockstore_type(self) -> str:
        storage = self.storage_config()
        return str(getattr(storage, "blockstore_type", "") or "") if storage is not None else ""

    def presign_supported(self) -> bool:
        storage = self.storage_config()
        return bool(storage is not None and storage.pre_sign_support)

    def close(self) -> None:
        self.data_pool.clear()
        self.api_client.rest_client.pool_manager.clear()
        self.api_client.close()


def retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (the delta form; dates are ignored)."""
    if not headers:
        return None
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def never_sent(exc: BaseException) -> bool:
    """True when the request provably never reached the server (connect failure)."""
    reason = getattr(exc, "reason", None)
    return isinstance(
        exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    ) or (isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError))
