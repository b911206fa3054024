"""A separate process that writes to an embedded store (used by the concurrency and crash tests).

    python store_worker.py commits ROOT REPO BRANCH WORKER N   # N put+commit rounds
    python store_worker.py chaos ROOT REPO SEED                # writes until killed

Every successful commit or merge prints ``committed <id>`` (flushed), so the parent knows
exactly which commits it must find after killing this process.
"""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

from lakeline.errors import ConflictError, NoChangesError
from lakeline.store import Upload
from lakeline.store.local import LocalStore


def commits(root: str, repo_name: str, branch: str, worker: str, rounds: int) -> None:
    with LocalStore(root, committer=f"worker-{worker}") as store:
        repo = store.repository(repo_name)
        made = 0
        for i in range(rounds):
            repo.put_object(branch, f"w{worker}/{i:03d}", f"{worker}:{i}".encode())
            try:
                repo.commit(branch, f"worker {worker} round {i}")
                made += 1
            except NoChangesError:
                pass  # another worker's commit took our staged object with it
        print(f"made {made}", flush=True)


def chaos(root: str, repo_name: str, seed: int) -> None:
    rnd = random.Random(seed)
    sources = Path(root).parent / f"chaos-sources-{seed}"  # beside the store: cleaned with it
    sources.mkdir(exist_ok=True)
    with LocalStore(root, committer="chaos", range_bits=2) as store:
        repo = store.repository(repo_name)
        import pyarrow.parquet  # noqa: F401 - pay the import before the parent starts its clock

        print("ready", flush=True)
        step = 0
        while True:
            step += 1
            branch = rnd.choice(["main", "dev"])
            for _ in range(rnd.randint(1, 20)):
                path = f"d{rnd.randint(0, 5)}/{rnd.randint(0, 60):03d}"
                if rnd.random() < 0.15:
                    repo.delete_objects(branch, [path])
                elif rnd.random() < 0.1:  # a batch of files, most of them small blobs
                    uploads = []
                    for n in range(rnd.randint(2, 40)):
                        source = sources / f"{step}-{n}"
                        source.write_bytes(rnd.randbytes(rnd.randint(0, 24_000)))
                        uploads.append(Upload(f"batch{rnd.randint(0, 3)}/{n:02d}", source))
                    repo.put_objects(branch, uploads, workers=2)
                elif rnd.random() < 0.1:
                    repo.put_object(branch, path, io.BytesIO(rnd.randbytes(rnd.randint(1, 3_000_000))))
                else:
                    repo.put_object(branch, path, f"{path}@{step}".encode())
            try:
                commit = repo.commit(branch, f"step {step}")
                print(f"committed {commit.id}", flush=True)
                if rnd.random() < 0.4:
                    other = "main" if branch == "dev" else "dev"
                    repo.reset_branch(other)
                    merge = repo.merge(branch, other, strategy="source-wins")
                    print(f"committed {merge.id}", flush=True)
            except (NoChangesError, ConflictError):
                pass


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "commits":
        commits(args[0], args[1], args[2], args[3], int(args[4]))
    elif mode == "chaos":
        chaos(args[0], args[1], int(args[2]))
    else:
        raise SystemExit(f"unknown mode {mode}")
