"""Lineage from dvc.lock: every dependency (files, directories, params) -> stage -> every output.

Edges keep DVC's hashes (directories their ``<md5>.dir``); `expand_directory` turns a directory
hash back into its files from the objects stored at a ref, checking the listing still hashes
to the recorded value. The catalog builds ``lineage_edges`` from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from lakeline.errors import NotFoundError
from lakeline.names import check_object_path
from lakeline.pipeline.dvcproject import LockedPath, LockedStage, canonical_json
from lakeline.pipeline.hashing import DirEntry, dir_hash
from lakeline.store.base import ObjectStats, Repository

MD5_METADATA_KEY = "md5"


@dataclass(frozen=True)
class LineageEdge:
    stage: str
    src_path: str
    src_hash: str | None
    src_kind: str  # file | directory | param (the catalog's lineage_edges.src_kind)
    dst_path: str
    dst_hash: str | None

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


def lineage_edges(stages: Mapping[str, LockedStage]) -> list[LineageEdge]:
    """One edge per (stage, dependency, output), in dvc.lock order; params are dependencies."""
    edges: list[LineageEdge] = []
    for stage in stages.values():
        sources: list[tuple[str, str | None, str]] = [(d.path, d.hash, d.kind) for d in stage.deps]
        for file, values in stage.params.items():
            sources.extend((f"{file}:{key}", canonical_json(value), "param") for key, value in values.items())
        for out in stage.outs:
            for src_path, src_hash, src_kind in sources:
                edges.append(
                    LineageEdge(
                        stage=stage.name,
                        src_path=src_path,
                        src_hash=src_hash,
                        src_kind=src_kind,
                        dst_path=out.path,
                        dst_hash=out.hash,
                    )
                )
    return edges


def stage_graph(stages: Mapping[str, LockedStage]) -> dict[str, Any]:
    """The provenance record's ``stages`` section: cmd, deps, params and outs with hashes."""
    return {
        stage.name: {
            "cmd": stage.cmd,
            "deps": [_path_record(d, with_size=False) for d in stage.deps],
            "params": {file: dict(values) for file, values in stage.params.items()},
            "outs": [_path_record(o, with_size=True) for o in stage.outs],
        }
        for stage in stages.values()
    }


def _path_record(entry: LockedPath, *, with_size: bool) -> dict[str, Any]:
    record: dict[str, Any] = {"path": entry.path, "hash": entry.hash, "kind": entry.kind}
    if with_size:
        record["size"] = entry.size
    return record


def edges_from_provenance(record: Mapping[str, Any]) -> list[LineageEdge]:
    """The ``lineage`` list of a provenance record as typed edges."""
    return [
        LineageEdge(
            stage=str(e["stage"]),
            src_path=str(e["src_path"]),
            src_hash=e.get("src_hash"),
            src_kind=str(e.get("src_kind", "file")),
            dst_path=str(e["dst_path"]),
            dst_hash=e.get("dst_hash"),
        )
        for e in record.get("lineage") or []
    ]


def expand_directory(repo: Repository, ref: str, path: str, digest: str | None = None) -> list[DirEntry]:
    """The files of directory output ``path`` as stored at ``ref`` (relative paths, MD5s, sizes).

    With ``digest`` (a ``<md5>.dir`` hash from dvc.lock or lineage) the stored listing must hash
    to it; otherwise NotFoundError says the ref holds another version of the directory.
    """
    prefix = check_object_path(path.rstrip("/")) + "/"
    entries: list[DirEntry] = []
    missing_md5: list[str] = []
    for item in repo.list_objects(ref, prefix=prefix):
        if not isinstance(item, ObjectStats):
            continue
        md5 = item.metadata.get(MD5_METADATA_KEY)
        if not md5:
            missing_md5.append(item.path)
            md5 = ""
        entries.append(DirEntry(relpath=item.path[len(prefix) :], md5=md5, size=item.size_bytes))
    if not entries:
        raise NotFoundError(f"directory {path!r} not found at ref {ref!r}")
    if digest is not None:
        if missing_md5:
            raise NotFoundError(
                f"directory {path!r} at ref {ref!r} cannot be matched to {digest}: "
                f"{len(missing_md5)} objects carry no md5 (e.g. {missing_md5[0]!r}); "
                "they were not written by a pipeline commit"
            )
        actual = dir_hash(entries)
        if actual != digest:
            raise NotFoundError(
                f"directory {path!r} at ref {ref!r} is version {actual}, not {digest}: "
                "use the ref of the commit that recorded that hash"
            )
    return entries
