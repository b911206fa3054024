"""Every error a lakeline user can meet, in one hierarchy.

    LakelineError                      base: the CLI prints one line and exits non-zero
    ├── NotFoundError                  404: repository, branch, tag, commit, object, model, version
    ├── AlreadyExistsError             409: the name is taken (tags are immutable)
    ├── ConflictError                  409: a compare-and-swap lost, or a write raced another
    │   └── MergeConflictError         409: three-way merge found conflicting paths (.paths)
    ├── InvalidInputError              400: bad value from the user
    │   ├── InvalidNameError           repository, branch, tag, model or alias name breaks its rule
    │   ├── InvalidRefError            a ref expression that cannot be parsed
    │   ├── InvalidPathError           an object or workspace path that is unsafe or malformed
    │   ├── NoChangesError             commit or merge with nothing to do
    │   └── DirtyBranchError           the branch has uncommitted changes and the action needs it clean
    ├── PermissionDeniedError          403: protected branch, policy denies the action, read-only SQL
    ├── AuthenticationError            401: bad or missing credentials
    ├── PreconditionFailedError        412: If-None-Match and friends
    ├── CorruptObjectError             stored bytes do not match their checksum
    ├── StoreUnavailableError          the store cannot be reached (5xx, connection, timeout)
    ├── ConfigError                    missing or broken configuration
    ├── PipelineError                  DVC project, dvc.yaml, params.yaml, stale pipeline
    ├── CatalogError                   catalog cannot be opened or synced; bad SQL
    └── RegistryError                  registry actions
        └── GateFailedError            a promotion gate did not pass (.failures)

Each class carries the HTTP status lakeFS uses for the same failure, so the lakeFS backend
and its test server translate in both directions through one table (`STATUS_TO_ERROR`).
"""

from __future__ import annotations

from collections.abc import Sequence


class LakelineError(Exception):
    """Base of every error a user can act on. ``str(err)`` is the one line the CLI prints."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFoundError(LakelineError):
    status = 404


class AlreadyExistsError(LakelineError):
    status = 409


class ConflictError(LakelineError):
    status = 409


class MergeConflictError(ConflictError):
    """A merge or revert found paths changed differently on both sides; nothing was written."""

    def __init__(self, message: str, paths: Sequence[str] = ()) -> None:
        self.paths = tuple(paths)
        if self.paths:
            shown = ", ".join(self.paths[:10])
            more = f" (and {len(self.paths) - 10} more)" if len(self.paths) > 10 else ""
            message = f"{message}: {shown}{more}"
        super().__init__(message)


class InvalidInputError(LakelineError):
    status = 400


class InvalidNameError(InvalidInputError):
    pass


class InvalidRefError(InvalidInputError):
    pass


class InvalidPathError(InvalidInputError):
    pass


class NoChangesError(InvalidInputError):
    pass


class DirtyBranchError(InvalidInputError):
    pass


class PermissionDeniedError(LakelineError):
    status = 403


class AuthenticationError(LakelineError):
    status = 401


class PreconditionFailedError(LakelineError):
    status = 412


class CorruptObjectError(LakelineError):
    status = 500


class StoreUnavailableError(LakelineError):
    status = 503


class ConfigError(LakelineError):
    status = 400


class PipelineError(LakelineError):
    status = 400


class CatalogError(LakelineError):
    status = 400


class RegistryError(LakelineError):
    status = 400


class GateFailedError(RegistryError):
    """Promotion refused; ``failures`` holds one readable line per failed gate."""

    def __init__(self, message: str, failures: Sequence[str] = ()) -> None:
        self.failures = tuple(failures)
        if self.failures:
            message = f"{message}: " + "; ".join(self.failures)
        super().__init__(message)


# HTTP status -> the error class a client raises for it (the most general one per code).
STATUS_TO_ERROR: dict[int, type[LakelineError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    429: StoreUnavailableError,
}


def error_for_status(status: int, message: str) -> LakelineError:
    """The typed error for an HTTP status; 5xx and unknown codes mean the store is unavailable."""
    cls = STATUS_TO_ERROR.get(status, StoreUnavailableError)
    return cls(message)
