"""``python -m tests.lakefs_server --port PORT --root DIR``: serve until interrupted; prints the
URL and the keys to use (lakectl-style environment lines, ready to paste)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from .server import LakeFSTestServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lakefs_server", description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--root", type=Path, required=True, help="folder for the embedded store")
    parser.add_argument("--presign", action="store_true", help="announce and serve pre-signed URLs")
    parser.add_argument("--access-key-id", help="the access key id to accept (default: random)")
    parser.add_argument("--secret-access-key", help="the secret to accept (default: random)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    server = LakeFSTestServer(
        args.root,
        host=args.host,
        port=args.port,
        presign=args.presign,
        access_key_id=args.access_key_id,
        secret_access_key=args.secret_access_key,
        verbose=args.verbose,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        print(f"lakeFS test server at {server.url} (API {server.endpoint})", flush=True)
        print(f"export LAKECTL_SERVER_ENDPOINT_URL={server.url}", flush=True)
        print(f"export LAKECTL_CREDENTIALS_ACCESS_KEY_ID={server.access_key_id}", flush=True)
        print(f"export LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY={server.secret_access_key}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
