"""Reading a DVC project: dvc.yaml, dvc.lock, params and metrics files, and stage status.

Plain files are parsed with a YAML/JSON/TOML reader, so a broken file gets one clear line
naming it; DVC's own Python API (imported inside `inspect_pipeline`) answers what only DVC
knows: which stages are stale, which outputs are metrics or plots, where its cache is.
Nothing here writes.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from lakeline.errors import PipelineError

DVC_YAML = "dvc.yaml"
DVC_LOCK = "dvc.lock"
DEFAULT_PARAMS = "params.yaml"
DVC_DIR = ".dvc"
DIR_SUFFIX = ".dir"
# What `dvc status` reports for an output whose bytes are right but absent from DVC's cache
# (a fresh clone after `lakeline checkout`): the workspace is still up to date.
NOT_IN_CACHE = "not in cache"
# What it reports for `always_changed: true` stages and stages without dependencies, even
# right after `dvc repro`: a property of the stage, not evidence of stale outputs.
ALWAYS_CHANGED = "always changed"

PathKind = Literal["file", "directory"]


@dataclass(frozen=True)
class LockedPath:
    """A dependency or output as dvc.lock records it."""

    path: str
    hash: str | None
    kind: PathKind
    size: int | None = None
    nfiles: int | None = None
    hash_name: str = "md5"


@dataclass(frozen=True)
class LockedStage:
    """One (expanded) stage of dvc.lock: ``train``, ``fit@small``, ``grid@1-big``."""

    name: str
    cmd: str
    deps: tuple[LockedPath, ...]
    params: Mapping[str, Mapping[str, Any]]  # params file -> flattened key -> value
    outs: tuple[LockedPath, ...]


@dataclass(frozen=True)
class PipelineInspection:
    """What DVC says about the workspace (`inspect_pipeline`)."""

    stale: Mapping[str, tuple[str, ...]]  # stage -> readable reasons; empty when up to date
    metric_paths: tuple[str, ...]
    plot_paths: tuple[str, ...]
    cache_dir: Path | None  # DVC's local cache for md5 objects (holds the .dir listings)
    stage_names: frozenset[str] = frozenset()  # stages dvc.yaml defines now (expanded)

    def live(self, stages: Mapping[str, LockedStage]) -> dict[str, LockedStage]:
        """dvc.lock's stages that dvc.yaml still defines (DVC leaves removed stages in the lock)."""
        return {name: stage for name, stage in stages.items() if name in self.stage_names}


def read_structured(path: Path, what: str, *, root: Path | None = None) -> Any:
    """Parse a YAML, JSON or TOML file (by suffix); PipelineError naming the file and the spot."""
    shown = _shown(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{what} {shown} is missing") from None
    except UnicodeDecodeError:
        raise PipelineError(f"{what} {shown} is not UTF-8 text") from None
    except OSError as exc:
        raise PipelineError(f"cannot read {what} {shown}: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return json.loads(text) if text.strip() else {}
        if suffix == ".toml":
            return tomllib.loads(text)
        return yaml.load(text, Loader=_LOADER) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PipelineError(f"{what} {shown} is not valid YAML{where}: {problem}; fix it and retry") from None
    except json.JSONDecodeError as exc:
        raise PipelineError(
            f"{what} {shown} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{what} {shown} is not valid TOML: {exc}") from None


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings -> ``{"a.b.c": leaf}``; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            flat.update(flatten(item, name + "."))
        else:
            flat[name] = item
    return flat


def canonical_json(value: Any) -> str:
    """The one text form of a value (lineage hashes of params)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class DvcProject:
    """A DVC pipeline whose dvc.yaml sits at the lakeline project root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def present(root: Path) -> bool:
        return (root / DVC_YAML).is_file()

    @classmethod
    def open(cls, root: Path) -> DvcProject:
        """The project at ``root``; PipelineError if dvc.yaml or the DVC project is missing."""
        if not cls.present(root):
            raise PipelineError(
                f"no DVC pipeline in {root}: dvc.yaml is missing (create one, or use a plain commit)"
            )
        if not (root / DVC_DIR).is_dir():
            raise PipelineError(
                f"{root} has dvc.yaml but is not a DVC project (no {DVC_DIR}/): run 'dvc init' there"
            )
        project = cls(root)
        project.dvc_yaml()  # fail early, and with our message, on a broken file
        return project

    # --- dvc.yaml -----------------------------------------------------------------------------
    def dvc_yaml(self) -> dict[str, Any]:
        raw = read_structured(self.root / DVC_YAML, "pipeline file", root=self.root)
        if not isinstance(raw, dict):
            raise PipelineError(f"pipeline file {DVC_YAML} must hold a mapping with a 'stages' section")
        stages = raw.get("stages", {})
        if stages is not None and not isinstance(stages, dict):
            raise PipelineError(f"pipeline file {DVC_YAML}: 'stages' must be a mapping of stage names")
        return raw

    def artifacts(self) -> dict[str, dict[str, Any]]:
        """dvc.yaml's ``artifacts:`` section: name -> {path, type, desc, labels, meta}."""
        section = self.dvc_yaml().get("artifacts") or {}
        if not isinstance(section, dict):
            raise PipelineError(f"pipeline file {DVC_YAML}: 'artifacts' must be a mapping of names")
        artifacts: dict[str, dict[str, Any]] = {}
        for name, spec in section.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
                raise PipelineError(f"pipeline file {DVC_YAML}: artifact {name!r} needs a 'path'")
            artifacts[str(name)] = {
                "path": _norm(spec["path"]),
                "type": spec.get("type"),
                "desc": spec.get("desc"),
                "labels": list(spec.get("labels") or []),
                "meta": dict(spec.get("meta") or {}),
            }
        return artifacts

    # --- dvc.lock -----------------------------------------------------------------------------
    def has_lock(self) -> bool:
        return (self.root / DVC_LOCK).is_file()

    def lock_stages(self) -> dict[str, LockedStage]:
        """dvc.lock's stages in file order; PipelineError if the pipeline never ran."""
        if not self.has_lock():
            raise PipelineError(f"{DVC_LOCK} is missing in {self.root}: run 'dvc repro' first")
        raw = read_structured(self.root / DVC_LOCK, "lock file", root=self.root)
        if not isinstance(raw, dict) or not isinstance(raw.get("stages", {}), dict):
            raise PipelineError(
                f"lock file {DVC_LOCK} has no 'stages' mapping: run 'dvc repro' to rewrite it"
            )
        stages: dict[str, LockedStage] = {}
        for name, body in (raw.get("stages") or {}).items():
            if not isinstance(body, dict):
                raise PipelineError(f"lock file {DVC_LOCK}: stage {name!r} is not a mapping")
            cmd = body.get("cmd", "")
            params = {
                _norm(str(file)): flatten(values) if isinstance(values, Mapping) else {}
                for file, values in (body.get("params") or {}).items()
            }
            stages[str(name)] = LockedStage(
                name=str(name),
                cmd=" && ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd),
                deps=tuple(_locked_path(entry, name) for entry in body.get("deps") or []),
                params=params,
                outs=tuple(_locked_path(entry, name) for entry in body.get("outs") or []),
            )
        return stages

    # --- params and metrics -------------------------------------------------------------------
    def params_files(self, stages: Mapping[str, LockedStage] | None = None) -> list[str]:
        """params.yaml (if present) and every other params file the stages read, sorted."""
        files = {DEFAULT_PARAMS} if (self.root / DEFAULT_PARAMS).is_file() else set()
        for stage in (stages or {}).values():
            files.update(stage.params)
        return sorted(files, key=lambda f: (f != DEFAULT_PARAMS, f))

    def params(self, stages: Mapping[str, LockedStage] | None = None) -> dict[str, Any]:
        """All params, flattened with '.'; keys of files other than params.yaml get ``file:``."""
        merged: dict[str, Any] = {}
        for file in self.params_files(stages):
            path = self.root / file
            if path.suffix.lower() in (".yaml", ".yml", ".json", ".toml") and path.is_file():
                raw = read_structured(path, "params file", root=self.root)
                if raw is None:
                    raw = {}
                if not isinstance(raw, dict):
                    raise PipelineError(f"params file {file} must hold a mapping of parameters")
                values = flatten(raw)
            else:  # a Python params file (or a missing one): what dvc.lock recorded
                values = {}
                for stage in (stages or {}).values():
                    values.update(stage.params.get(file, {}))
            prefix = "" if file == DEFAULT_PARAMS else f"{file}:"
            merged.update({f"{prefix}{key}": value for key, value in values.items()})
        return dict(sorted(merged.items()))

    def metrics(self, metric_paths: tuple[str, ...]) -> dict[str, float | int]:
        """Numeric metrics from the metrics files, flattened; a key seen twice gets ``file:``."""
        merged: dict[str, float | int] = {}
        for file in sorted(metric_paths):
            path = self.root / file
            if not path.is_file() or path.suffix.lower() not in (".json", ".yaml", ".yml", ".toml"):
                continue
            raw = read_structured(path, "metrics file", root=self.root)
            if not isinstance(raw, dict):
                continue
            for key, value in flatten(raw).items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                merged[f"{file}:{key}" if key in merged else key] = value
        return merged


def _norm(path: str) -> str:
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.rstrip("/")


def _locked_path(entry: Any, stage: str) -> LockedPath:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise PipelineError(f"lock file {DVC_LOCK}: stage {stage!r} has an entry without a path")
    hash_name = str(entry.get("hash") or "md5")
    value = entry.get("md5") or entry.get("etag") or entry.get("checksum")
    digest = str(value) if value is not None else None
    kind: PathKind = "directory" if digest is not None and digest.endswith(DIR_SUFFIX) else "file"
    return LockedPath(
        path=_norm(entry["path"]),
        hash=digest,
        kind=kind,
        size=int(entry["size"]) if isinstance(entry.get("size"), int) else None,
        nfiles=int(entry["nfiles"]) if isinstance(entry.get("nfiles"), int) else None,
        hash_name=hash_name,
    )


# --- DVC's own view ---------------------------------------------------------------------------
def inspect_pipeline(root: Path, *, with_status: bool = True) -> PipelineInspection:
    """Ask DVC which stages are stale and which outputs are metrics/plots.

    ``not in cache`` alone does not make a stage stale: after `lakeline checkout` the bytes in
    the workspace match dvc.lock, DVC's cache just has not seen them yet.
    """
    try:
        from dvc.exceptions import DvcException
        from dvc.repo import Repo
    except ImportError:  # pragma: no cover - dvc is a dependency
        raise PipelineError("DVC is not installed in this environment: pip install dvc") from None
    try:
        with Repo(str(root)) as repo:
            stages = list(repo.index.stages)
            metric_paths: set[str] = set()
            plot_paths: set[str] = set()
            for stage in stages:
                for out in stage.outs:
                    rel = _rel_to(root, str(out.fs_path))
                    if rel is None:
                        continue
                    if out.metric:
                        metric_paths.add(rel)
                    if out.plot:
                        plot_paths.add(rel)
            metric_paths.update(_top_level_files(root, repo, "_metrics"))
            plot_paths.update(p for p in _top_level_files(root, repo, "_plots") if (root / p).is_file())
            try:
                cache_path = repo.cache.local.path
                cache_dir: Path | None = Path(cache_path) if cache_path else None
            except Exception:  # no local cache configured: .dir listings are recomputed instead
                cache_dir = None
            by_address = _stage_names(root, stages)
            names = frozenset(by_address.values())
            stale: dict[str, tuple[str, ...]] = {}
            if with_status:
                for name, entries in repo.status().items():
                    reasons = list(_stale_reasons(entries))
                    if reasons:
                        stale[by_address.get(name, name)] = tuple(reasons)
    except DvcException as exc:
        raise PipelineError(f"DVC cannot read the pipeline in {root}: {_dvc_message(exc)}") from None
    return PipelineInspection(
        stale=stale,
        metric_paths=tuple(sorted(metric_paths)),
        plot_paths=tuple(sorted(plot_paths)),
        cache_dir=cache_dir,
        stage_names=names,
    )


def cache_checked_out_outputs(root: Path) -> tuple[str, ...]:
    """Hand outputs whose only difference from dvc.lock is 'not in cache' to DVC's cache.

    After a checkout the workspace holds exactly the bytes dvc.lock names, but DVC has never
    seen them and `dvc repro` would rerun every stage; ``dvc commit --force --no-relink`` of
    just those stages (dvc.lock unchanged, workspace files untouched) lets it skip them. Best
    effort: returns the stages cached, and nothing if DVC cannot do it.
    """
    import subprocess

    from lakeline.pipeline.repro import dvc_command, repro_environment

    try:
        from dvc.exceptions import DvcException
        from dvc.repo import Repo
    except ImportError:  # pragma: no cover - dvc is a dependency
        return ()
    try:
        with Repo(str(root)) as repo:
            by_address = _stage_names(root, list(repo.index.stages))
            ready = [
                by_address[address]
                for address, entries in repo.status().items()
                if address in by_address and not list(_stale_reasons(entries))
            ]
    except DvcException:
        return ()
    if not ready:
        return ()
    # DVC's commit resolves paths against the process's cwd, so it runs as its own command.
    done = subprocess.run(
        [*dvc_command(), "commit", "--force", "--no-relink", "--quiet", *ready],
        cwd=root,
        env=repro_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=3600,
        check=False,
    )
    return tuple(ready) if done.returncode == 0 else ()


def _rel_to(root: Path, fs_path: str) -> str | None:
    try:
        return Path(fs_path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _top_level_files(root: Path, repo: Any, attr: str) -> Iterator[str]:
    # dvc.yaml's top-level `metrics:`/`plots:` lists (not stage outputs); DVC keeps them per file.
    try:
        per_file = getattr(repo.index, attr, {}) or {}
    except Exception:
        return
    for dvcfile, entries in per_file.items():
        folder = _rel_to(root, str(Path(dvcfile).parent))
        if folder is None:
            continue
        for entry in entries or []:
            name = next(iter(entry), None) if isinstance(entry, dict) else entry
            if isinstance(name, str):
                yield _norm(f"{folder}/{name}" if folder not in ("", ".") else name)


def _stage_names(root: Path, stages: list[Any]) -> dict[str, str]:
    """DVC's address of each stage of the root dvc.yaml -> its name as dvc.lock writes it.

    Addresses are relative to the process's cwd (``../proj/dvc.yaml:train``), names are not.
    """
    root_file = (root / DVC_YAML).resolve()
    names: dict[str, str] = {}
    for stage in stages:
        dvcfile = getattr(getattr(stage, "dvcfile", None), "path", None)
        if dvcfile is not None and Path(dvcfile).resolve() == root_file and stage.name:
            names[stage.addressing] = stage.name
    return names


def _stale_reasons(entries: Any) -> Iterator[str]:
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, str):
            if entry != ALWAYS_CHANGED:
                yield entry
            continue
        if not isinstance(entry, dict):
            continue
        for section, changes in entry.items():
            if not isinstance(changes, dict):
                yield f"{section}: {changes}"
                continue
            parts: list[str] = []
            for path, state in changes.items():
                if isinstance(state, dict):  # a params file: key -> state
                    parts.extend(f"{path}:{key} ({sub})" for key, sub in state.items())
                elif state != NOT_IN_CACHE:
                    parts.append(f"{path} ({state})")
            if parts:
                yield f"{section}: " + ", ".join(parts)


def _dvc_message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    cause = exc.__cause__
    if cause is not None and str(cause).strip():
        text = f"{text}: {str(cause).strip().splitlines()[0]}"
    return " ".join(text.split())
