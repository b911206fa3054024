"""Benchmark the lakeFS backend's data path against plain HTTP to the same server.

One large object (default 1 GiB) and many small ones (default 10,000 x 1 KiB) go up and come
back through `lakeline.store.lakefs` (streamed, verified, parallel), and the same bytes go
through bare urllib3 requests to the same lakeFS endpoints (POST the raw body, GET it back),
in one run. The server is the lakeFS-API test server in its own process (or a real lakeFS
with --endpoint). Prints a Markdown table and the command that produced it.

    .venv/bin/python scripts/bench_lakefs.py --quick        # seconds: checks that it works
    .venv/bin/python scripts/bench_lakefs.py                # the full run
    .venv/bin/python scripts/bench_lakefs.py --presign      # backend through pre-signed URLs
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 1 << 20


@dataclass(frozen=True)
class Server:
    url: str
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class Row:
    operation: str
    volume: str
    backend_s: float
    plain_s: float
    megabytes: float
    objects: int = 1

    def cells(self) -> list[str]:
        def rate(seconds: float) -> str:
            if seconds <= 0:
                return "-"
            if self.objects > 1:
                return f"{seconds:.2f} s ({self.objects / seconds:,.0f} objects/s)"
            return f"{seconds:.2f} s ({self.megabytes / seconds:,.0f} MB/s)"

        ratio = self.backend_s / self.plain_s if self.plain_s > 0 else float("nan")
        return [self.operation, self.volume, rate(self.backend_s), rate(self.plain_s), f"{ratio:.2f}x"]


@contextmanager
def test_server(root: Path, presign: bool) -> Iterator[Server]:
    """The lakeFS-API test server in a child process (so it does not share our GIL)."""
    command = [sys.executable, "-m", "tests.lakefs_server", "--port", "0", "--root", str(root)]
    if presign:
        command.append("--presign")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        values = [line.split("=", 1)[1] for line in lines[1:]]
        yield Server(url=values[0], access_key_id=values[1], secret_access_key=values[2])
    finally:
        process.terminate()
        process.wait(timeout=30)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as out:
        remaining = size
        block = os.urandom(CHUNK)
        while remaining > 0:
            # Vary each block cheaply so no layer can deduplicate the stream.
            piece = hashlib.sha256(remaining.to_bytes(8, "little")).digest() + block[32:]
            out.write(piece[: min(remaining, CHUNK)])
            remaining -= CHUNK


class PlainHttp:
    """Bare urllib3 against the same lakeFS endpoints: what any HTTP client can do."""

    def __init__(self, server: Server, repo: str, workers: int) -> None:
        import urllib3

        self.base = server.url.rstrip("/") + "/api/v1"
        self.repo = repo
        self.pool = urllib3.PoolManager(maxsize=max(workers, 1), blocksize=CHUNK)
        self.headers = urllib3.make_headers(basic_auth=f"{server.access_key_id}:{server.secret_access_key}")

    def put(self, branch: str, path: str, source: Path) -> None:
        url = f"{self.base}/repositories/{self.repo}/branches/{branch}/objects?path={quote(path, safe='')}"
        headers = {**self.headers, "Content-Type": "application/octet-stream"}
        headers["Content-Length"] = str(source.stat().st_size)
        with source.open("rb") as body:
            response = self.pool.request("POST", url, body=body, headers=headers)
        if response.status != 201:
            raise RuntimeError(f"plain PUT {path}: HTTP {response.status} {response.data[:200]!r}")

    def get(self, ref: str, path: str, dest: Path) -> None:
        url = f"{self.base}/repositories/{self.repo}/refs/{ref}/objects?path={quote(path, safe='')}"
        response = self.pool.request("GET", url, headers=self.headers, preload_content=False)
        if response.status != 200:
            raise RuntimeError(f"plain GET {path}: HTTP {response.status}")
        with dest.open("wb") as out:
            for chunk in response.stream(CHUNK):
                out.write(chunk)
        response.release_conn()


def run(args: argparse.Namespace, server: Server, work: Path) -> list[Row]:
    from lakeline.store import Upload
    from lakeline.store.lakefs import LakeFSStore

    store = LakeFSStore(
        endpoint=server.url,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        storage_namespace=args.storage_namespace,
    )
    repo_name = f"bench-{uuid.uuid4().hex[:8]}"
    repo = store.create_repository(repo_name)
    plain = PlainHttp(server, repo_name, args.workers)
    for branch in ("backend", "plain"):
        repo.create_branch(branch, "main")
    rows: list[Row] = []

    big = work / "big.bin"
    size = args.size_mib << 20
    write_random(big, size)
    mb = size / 1e6
    up_backend = timed(lambda: repo.put_object("backend", "big.bin", big))
    up_plain = timed(lambda: plain.put("plain", "big.bin", big))
    rows.append(Row("upload, one object", f"{args.size_mib} MiB", up_backend, up_plain, mb))
    down_backend = timed(lambda: repo.download_object("backend", "big.bin", work / "big.backend"))
    down_plain = timed(lambda: plain.get("plain", "big.bin", work / "big.plain"))
    rows.append(Row("download, one object", f"{args.size_mib} MiB", down_backend, down_plain, mb))
    for copy in (work / "big.backend", work / "big.plain"):
        if copy.stat().st_size != size:
            raise RuntimeError(f"{copy.name}: wrong size after download")
        copy.unlink()
    big.unlink()

    small_dir = work / "small"
    small_dir.mkdir()
    files = []
    for i in range(args.count):
        path = small_dir / f"{i:06d}.bin"
        path.write_bytes(os.urandom(args.small_bytes))
        files.append(path)
    names = [f"small/{p.name}" for p in files]
    mb = args.count * args.small_bytes / 1e6
    volume = f"{args.count:,} x {args.small_bytes} B"
    uploads = [Upload(path=name, source=path) for name, path in zip(names, files, strict=True)]
    up_backend = timed(lambda: repo.put_objects("backend", uploads, workers=args.workers))

    def plain_uploads() -> None:
        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(lambda pair: plain.put("plain", pair[0], pair[1]), zip(names, files, strict=True)))

    up_plain = timed(plain_uploads)
    rows.append(
        Row(f"upload, many objects ({args.workers} threads)", volume, up_backend, up_plain, mb, args.count)
    )
    out_backend, out_plain = work / "out-backend", work / "out-plain"
    out_backend.mkdir()
    out_plain.mkdir()

    def backend_downloads() -> None:
        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(lambda n: repo.download_object("backend", n, out_backend / Path(n).name), names))

    def plain_downloads() -> None:
        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(lambda n: plain.get("plain", n, out_plain / Path(n).name), names))

    down_backend = timed(backend_downloads)
    down_plain = timed(plain_downloads)
    rows.append(
        Row(
            f"download, many objects ({args.workers} threads)",
            volume,
            down_backend,
            down_plain,
            mb,
            args.count,
        )
    )
    if sorted(p.name for p in out_backend.iterdir()) != sorted(p.name for p in files):
        raise RuntimeError("backend downloads are incomplete")
    store.delete_repository(repo_name)
    store.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the large object (MiB)")
    parser.add_argument("--count", type=int, default=10_000, help="number of small objects")
    parser.add_argument("--small-bytes", type=int, default=1024, help="size of each small object")
    parser.add_argument("--workers", type=int, default=16, help="parallel transfers for the small objects")
    parser.add_argument("--presign", action="store_true", help="test server announces pre-signed URLs")
    parser.add_argument("--quick", action="store_true", help="16 MiB and 200 small objects: checks it works")
    parser.add_argument("--endpoint", help="a real lakeFS instead of the test server (keys from env)")
    parser.add_argument("--storage-namespace", help="namespace folder for the bench repository (real lakeFS)")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.quick:
        args.size_mib, args.count = min(args.size_mib, 16), min(args.count, 200)
    sys.path.insert(0, str(ROOT))

    with tempfile.TemporaryDirectory(prefix="lakeline-bench-", dir=args.workdir) as scratch:
        work = Path(scratch)
        if args.endpoint:
            server = Server(
                url=args.endpoint,
                access_key_id=os.environ.get("LAKELINE_LAKEFS_ACCESS_KEY_ID", ""),
                secret_access_key=os.environ.get("LAKELINE_LAKEFS_SECRET_ACCESS_KEY", ""),
            )
            rows = run(args, server, work)
            where = f"lakeFS at {args.endpoint}"
        else:
            with test_server(work / "server", args.presign) as server:
                rows = run(args, server, work)
            where = "lakeFS-API test server (separate process, embedded store)" + (
                ", pre-signed URLs" if args.presign else ", API data path"
            )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    command = "python scripts/bench_lakefs.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    print(f"Command: `{command.strip()}`  ")
    print(f"Server: {where}; {os.cpu_count()} CPUs; client peak RSS {peak_mib:.0f} MiB\n")
    header = ["operation", "volume", "lakeline lakeFS backend", "plain HTTP (urllib3)", "backend/plain"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
