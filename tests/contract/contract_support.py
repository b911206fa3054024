"""Small helpers shared by the contract tests (protocol calls only)."""

from __future__ import annotations

from lakeline.store import Change, Commit, CommonPrefix, ObjectStats, Repository


def commit_files(
    repo: Repository, branch: str, files: dict[str, bytes | None], message: str = "change"
) -> Commit:
    """Stage ``files`` (None deletes the path) on ``branch`` and commit them."""
    for path, data in files.items():
        if data is None:
            repo.delete_object(branch, path)
        else:
            repo.put_object(branch, path, data)
    return repo.commit(branch, message)


def contents(repo: Repository, ref: str) -> dict[str, bytes]:
    """Every object visible at ``ref`` with its bytes."""
    result: dict[str, bytes] = {}
    for item in repo.list_objects(ref):
        assert isinstance(item, ObjectStats)
        result[item.path] = repo.get_object(ref, item.path)
    return result


def paths(items: object) -> list[str]:
    out = []
    for item in items:  # type: ignore[attr-defined]
        assert isinstance(item, ObjectStats | CommonPrefix | Change)
        out.append(item.path)
    return out


def changes(items: object) -> list[tuple[str, str]]:
    return [(c.type, c.path) for c in items]  # type: ignore[attr-defined]
