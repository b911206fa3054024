"""Benchmark the embedded store against its peers, in one run, on this machine.

    .venv/bin/python scripts/bench_store.py            # full: 1 GiB file, 100k files, 1M objects
    .venv/bin/python scripts/bench_store.py --quick    # small sizes, to check the script works

Measures: ingest of one large file (vs `b3sum` + `cp`, vs `dvc add`), ingest of many small
files (vs `dvc add` of the folder), branch creation on a big branch vs an empty one, a 10-file
commit on a big branch, and diff/merge of two big commits differing in 1%. Prints a Markdown
table and the command line. The big branch is staged directly (entries that share a few real
blobs) instead of uploading a million files: that is setup, not what is measured.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakeline.store import Upload
from lakeline.store.local import LocalRepository, LocalStore
from lakeline.store.local.manifest import Entry

GiB = 1 << 30
MiB = 1 << 20


@dataclass
class Row:
    operation: str
    lakeline: float
    peer: str = ""
    peer_seconds: float | None = None
    note: str = ""

    def ratio(self) -> str:
        if self.peer_seconds is None or self.lakeline <= 0:
            return ""
        return f"{self.peer_seconds / self.lakeline:.1f}x"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": MiB, "G": GiB}
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def write_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        left = size
        while left:
            chunk = min(left, 64 * MiB)
            out.write(os.urandom(chunk))
            left -= chunk


def warm(path: Path) -> None:
    """Read the file once so every contender starts from the page cache."""
    with open(path, "rb") as f:
        while f.read(64 * MiB):
            pass


def dvc_repo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    subprocess.run([dvc_bin(), "init", "--no-scm", "-q"], cwd=folder, check=True)
    return folder


def dvc_bin() -> str:
    beside = Path(sys.executable).with_name("dvc")
    return str(beside) if beside.exists() else "dvc"


# --- the measurements ---------------------------------------------------------------------


def bench_large_file(work: Path, size: int, with_dvc: bool) -> list[Row]:
    source = work / "large.bin"
    write_random_file(source, size)
    warm(source)
    with LocalStore(work / "store-large", committer="bench") as store:
        repo = store.create_repository("bench-large")
        ours = timed(lambda: repo.put_object("main", "large.bin", source))
        commit = timed(lambda: repo.commit("main", "large"))
    label = f"ingest one {size / GiB:.2f} GiB file (put_object from a path)"
    rows = []
    b3sum = shutil.which("b3sum")
    copy_dest = work / "large.copy"
    if b3sum:
        peer_name = "`b3sum` + `cp`"
        peer = run([b3sum, "--no-names", str(source)]) + run(["cp", str(source), str(copy_dest)])
    else:
        import blake3

        peer_name = "blake3 (Python, mmap, threads) + shutil.copyfile (no b3sum on this machine)"

        def hash_and_copy() -> None:
            hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
            hasher.update_mmap(source)
            shutil.copyfile(source, copy_dest)

        peer = timed(hash_and_copy)
    copy_dest.unlink()
    rows.append(Row(label, ours, peer_name, peer, f"then commit: {seconds(commit)}"))
    if with_dvc:
        repo_dir = dvc_repo(work / "dvc-large")
        os.link(source, repo_dir / "large.bin")
        rows.append(Row(label, ours, "`dvc add`", run([dvc_bin(), "add", "-q", "large.bin"], cwd=repo_dir)))
    source.unlink()
    return rows


def bench_small_files(work: Path, count: int, with_dvc: bool) -> list[Row]:
    folder = work / "small"
    folder.mkdir()
    for i in range(count):
        sub = folder / f"d{i % 100:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{i:06d}.bin").write_bytes(os.urandom(256 + i % 3840))
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for f in files:
        f.read_bytes()
    uploads = [Upload(str(f.relative_to(folder)), f) for f in files]
    with LocalStore(work / "store-small", committer="bench") as store:
        repo = store.create_repository("bench-small")
        put = timed(lambda: repo.put_objects("main", uploads))
        commit = timed(lambda: repo.commit("main", "small files"))
    label = f"ingest {count:,} small files (put_objects + commit)"
    row = Row(label, put + commit, note=f"put_objects {seconds(put)} + commit {seconds(commit)}")
    if with_dvc:
        repo_dir = dvc_repo(work / "dvc-small")
        shutil.copytree(folder, repo_dir / "small", copy_function=os.link)
        row.peer, row.peer_seconds = (
            "`dvc add` of the folder",
            run([dvc_bin(), "add", "-q", "small"], cwd=repo_dir),
        )
    return [row]


def stage_big_branch(
    repo: LocalRepository, branch: str, count: int, blobs: list[Entry], tag: str = ""
) -> None:
    """Stage ``count`` entries directly (setup shortcut: no file uploads)."""
    batch: list[tuple[str, Entry | None]] = []
    for i in range(count):
        blob = blobs[i % len(blobs)]
        path = f"data/{i % 1000:03d}/{i:08d}.bin"
        batch.append((path, Entry(path, blob.checksum, blob.size, 0, blob.content_type, blob.metadata)))
        if len(batch) == 200_000:
            repo._stage(branch, batch)
            batch = []
    if batch:
        repo._stage(branch, batch)


def bench_big_branch(work: Path, objects: int) -> list[Row]:
    rows = []
    with LocalStore(work / "store-big", committer="bench") as store:
        repo = store.create_repository("bench-big")
        stats = [repo.put_object("main", f"seed/{i}", os.urandom(100)) for i in range(4)]
        blobs = [Entry(s.path, s.checksum, s.size_bytes, 0, s.content_type, "{}") for s in stats]
        setup = time.perf_counter()
        stage_big_branch(repo, "main", objects, blobs)
        big_commit = timed(lambda: repo.commit("main", "big"))
        print(
            f"  setup: staged {objects:,} objects in {time.perf_counter() - setup - big_commit:.1f} s, "
            f"committed them in {big_commit:.1f} s",
            file=sys.stderr,
        )
        empty = store.create_repository("bench-empty")

        def branch_times(r: LocalRepository, prefix: str) -> float:
            times = [timed(lambda i=i: r.create_branch(f"{prefix}{i}", "main")) for i in range(30)]  # type: ignore[misc]
            return statistics.median(times)

        on_big = branch_times(repo, "b")
        on_empty = branch_times(empty, "e")
        rows.append(
            Row(
                f"create a branch on a {objects:,}-object branch (median of 30)",
                on_big,
                "same on an empty repository",
                on_empty,
            )
        )

        def ten_file_commit() -> None:
            for i in range(10):
                repo.put_object("main", f"data/{i * 7:03d}/new-{i}.bin", os.urandom(64))
            repo.commit("main", "ten files")

        rows.append(Row(f"put 10 files + commit on a {objects:,}-object branch", timed(ten_file_commit)))

        repo.create_branch("one-percent", "main")
        changed = max(1, objects // 100)
        step = objects // changed
        edits: list[tuple[str, Entry | None]] = []
        for k in range(changed):
            i = k * step + (k * 37) % step  # spread over every directory, so over every range
            path = f"data/{i % 1000:03d}/{i:08d}.bin"
            blob = blobs[(i + 1) % len(blobs)]
            edits.append((path, Entry(path, blob.checksum, blob.size, 0, blob.content_type, blob.metadata)))
        repo._stage("one-percent", edits)
        commit_1pct = timed(lambda: repo.commit("one-percent", "change 1%"))
        rows.append(Row(f"commit {changed:,} changed objects on a {objects:,}-object branch", commit_1pct))
        found: list[int] = []
        diff_time = timed(
            lambda: found.append(sum(1 for _ in repo.diff("main", "one-percent", diff_type="two_dot")))
        )
        assert found[0] == changed, (found, changed)
        rows.append(
            Row(f"diff two {objects:,}-object commits differing in 1% ({changed:,} changes)", diff_time)
        )
        merge_time = timed(lambda: repo.merge("one-percent", "main"))
        rows.append(
            Row(
                f"merge of that 1% branch into its {objects:,}-object parent (after a 10-file commit)",
                merge_time,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: check the script works")
    parser.add_argument("--size", default=None, help="large file size (default 1G; quick: 64M)")
    parser.add_argument("--files", type=int, default=None, help="small files (default 100000; quick: 2000)")
    parser.add_argument(
        "--objects", type=int, default=None, help="big branch size (default 1000000; quick: 20000)"
    )
    parser.add_argument("--no-dvc", action="store_true", help="skip the `dvc add` peers")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where to put temp data (default: system temp)"
    )
    args = parser.parse_args()
    size = parse_size(args.size) if args.size else (64 * MiB if args.quick else GiB)
    files = args.files if args.files is not None else (2000 if args.quick else 100_000)
    objects = args.objects if args.objects is not None else (20_000 if args.quick else 1_000_000)
    with_dvc = not args.no_dvc and shutil.which(dvc_bin()) is not None
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="lakeline-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        print("large file...", file=sys.stderr)
        rows += bench_large_file(work, size, with_dvc)
        print("small files...", file=sys.stderr)
        rows += bench_small_files(work, files, with_dvc)
        print("big branch...", file=sys.stderr)
        rows += bench_big_branch(work, objects)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n`{shlex.join([Path(sys.executable).name, *sys.argv])}` "
        f"({os.cpu_count()} CPUs, peak RSS of the benchmark process {peak:.0f} MiB)\n"
    )
    print("| operation | lakeline | peer | peer time | lakeline speed-up | note |")
    print("|---|---:|---|---:|---:|---|")
    for r in rows:
        peer_time = seconds(r.peer_seconds) if r.peer_seconds is not None else ""
        print(f"| {r.operation} | {seconds(r.lakeline)} | {r.peer} | {peer_time} | {r.ratio()} | {r.note} |")


def seconds(value: float) -> str:
    return f"{value * 1000:.2f} ms" if value < 1 else f"{value:.2f} s"


if __name__ == "__main__":
    main()
