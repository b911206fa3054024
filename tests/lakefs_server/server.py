"""`LakeFSTestServer`: a ThreadingHTTPServer speaking lakeFS's API over the embedded store.

It checks HTTP Basic credentials, routes through `routing`, maps store errors to lakeFS's
answers (`errors`), validates every JSON answer against lakefs-sdk's own model (an answer the
SDK could not deserialize is a test-server bug and fails loudly as a 500), and lets tests
switch pre-signing, shrink pages and inject faults (429/503 ..., corrupted reads).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import queue
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lakeline.errors import LakelineError

from .errors import ApiError, from_store_error
from .routing import Router, build_router
from .state import Fault, ServerState
from .wire import BodyReader, Request, Response

DEFAULT_USER = "lakeline-tester"


def validate_model(model: str, body: Any) -> None:
    """Deserialize ``body`` with lakefs-sdk's model, as a client would; raise if it cannot."""
    import lakefs_sdk

    cls = getattr(lakefs_sdk, model)
    cls.from_dict(body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK stall every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True
    # An idle keep-alive connection gives its worker back after this many seconds.
    timeout = 60
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # --- one request ---------------------------------------------------------------------------
    def _dispatch(self) -> None:
        state = self.server.state
        split = urlsplit(self.path)
        body = BodyReader(self.rfile, self.headers)  # type: ignore[arg-type]
        try:
            fault = state.take_fault(self.command, split.path)
            if fault is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                raise _Injected(fault.status, headers)
            route, params = self.server.router.resolve(self.command, split.path)
            request = Request(
                self.command, split.path, params, Request.parse_query(split.query), self.headers, body
            )
            if route.authenticated:
                request.user = self._authenticate()
            response = route.handler(state, request)
        except _Injected as injected:
            response = Response(injected.status, {"message": "injected fault"}, "Error", injected.headers)
        except ApiError as exc:
            response = Response(exc.status, exc.body, exc.model)
        except LakelineError as exc:
            err = from_store_error(exc)
            response = Response(err.status, err.body, err.model)
        except ConnectionError:  # the client left mid-request (ClientGone, reset): no one to answer
            self.close_connection = True
            return
        try:
            body.drain()  # never leave unread request bytes on a keep-alive connection
        except OSError:
            self.close_connection = True
        self._send(response)

    def _authenticate(self) -> str:
        state = self.server.state
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                key_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                key_id, secret = "", ""
            ok_id = hmac.compare_digest(key_id.encode(), state.access_key_id.encode())
            ok_secret = hmac.compare_digest(secret.encode(), state.secret_access_key.encode())
            if ok_id and ok_secret:
                return state.user
        raise ApiError(401, "error authenticating request")

    def _send(self, response: Response) -> None:
        headers = dict(response.headers)
        payload = b""
        if response.stream is None and response.body is not None:
            if isinstance(response.body, dict | list):
                if response.model:
                    try:
                        validate_model(response.model, response.body)
                    except Exception as exc:
                        response = Response(
                            500, {"message": f"test server built an invalid {response.model}: {exc}"}
                        )
                        headers = {}
                payload = json.dumps(response.body).encode()
                headers["Content-Type"] = "application/json"
            elif isinstance(response.body, str):
                payload = response.body.encode()
                headers["Content-Type"] = "text/html; charset=utf-8"
            else:
                payload = bytes(response.body)
        if response.stream is None:
            headers["Content-Length"] = str(len(payload))
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.stream is not None:
            try:
                for chunk in response.stream:
                    self.wfile.write(chunk)
            except LakelineError:
                # The status line is out: the only honest signal left is a cut connection.
                self.close_connection = True
        else:
            self.wfile.write(payload)


class _Injected(Exception):
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status, self.headers = status, headers


class _Server(ThreadingHTTPServer):
    """Connections are served by a bounded, reused set of threads: the embedded store keeps one
    SQLite connection per thread until it is closed, so a thread per connection would pile up
    connections in a long-running server."""

    daemon_threads = True
    allow_reuse_address = True
    # A busy test may open many connections at once (parallel uploads).
    request_queue_size = 128
    max_connections = 256

    def __init__(self, address: tuple[str, int], state: ServerState, router: Router, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.state, self.router, self.verbose = state, router, verbose
        self._queue: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._idle = 0
        self._workers_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._workers_lock:
            if self._idle > 0:
                self._idle -= 1  # that idle worker takes this connection
                spawn = False
            else:
                spawn = len(self._workers) < self.max_connections
            if spawn:
                # Daemon threads, like ThreadingHTTPServer's: a stopped server never waits on
                # a client that keeps its connection open.
                worker = threading.Thread(target=self._work, name="lakefs-test-server", daemon=True)
                self._workers.append(worker)
        self._queue.put((request, client_address))
        if spawn:
            worker.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self.process_request_thread(*item)
            with self._workers_lock:
                self._idle += 1

    def server_close(self) -> None:
        super().server_close()
        for _ in self._workers:
            self._queue.put(None)


class LakeFSTestServer:
    """A lakeFS-API-compatible server on a local port, backed by the embedded store in ``root``.

    Use as a context manager (or start()/stop()). ``endpoint`` is what clients pass as the
    lakeFS URL; ``access_key_id``/``secret_access_key`` are the only credentials it accepts.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        presign: bool = False,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        page_limit: int = 1000,
        user: str = DEFAULT_USER,
        verbose: bool = False,
    ) -> None:
        self.state = ServerState(
            root=Path(root),
            access_key_id=access_key_id or "AKIA" + secrets.token_hex(8).upper(),
            secret_access_key=secret_access_key or secrets.token_urlsafe(30),
            user=user,
            presign=presign,
            page_limit=page_limit,
        )
        self._httpd = _Server((host, port), self.state, build_router(), verbose)
        host_name, bound_port = self._httpd.server_address[:2]
        self.state.base_url = f"http://{host_name}:{bound_port}"
        self._thread: threading.Thread | None = None

    # --- facts for clients ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.state.base_url

    @property
    def endpoint(self) -> str:
        return self.url + "/api/v1"

    @property
    def access_key_id(self) -> str:
        return self.state.access_key_id

    @property
    def secret_access_key(self) -> str:
        return self.state.secret_access_key

    # --- switches for tests ----------------------------------------------------------------------
    @property
    def presign(self) -> bool:
        return self.state.presign

    @presign.setter
    def presign(self, value: bool) -> None:
        self.state.presign = value

    @property
    def page_limit(self) -> int:
        return self.state.page_limit

    @page_limit.setter
    def page_limit(self, value: int) -> None:
        self.state.page_limit = value

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        path_pattern: str = "",
        retry_after: str | None = None,
    ) -> Fault:
        """Answer the next ``times`` requests matching method/path regex with ``status``."""
        fault = Fault(status, times, method, path_pattern, retry_after)
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def corrupt(self, path: str) -> None:
        """Serve the object at ``path`` with one byte flipped (a damaged disk)."""
        self.state.corrupt_paths.add(path)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request so far, in arrival order."""
        with self.state.lock:
            return list(self.state.requests)

    def clear_requests(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LakeFSTestServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="lakefs-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.state.store.close()

    def __enter__(self) -> LakeFSTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
