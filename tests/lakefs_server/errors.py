"""lakeFS's error responses: the status, the JSON body, and how store errors map onto them.

lakeFS answers errors with ``{"message": "..."}`` (a merge conflict alone answers 409 with
``{"reference": ""}``). `from_store_error` turns the embedded store's typed errors into the
status and wording lakeFS uses for the same failure, so a client sees what a real server says.
"""

from __future__ import annotations

from typing import Any

from lakeline.errors import (
    AlreadyExistsError,
    ConflictError,
    CorruptObjectError,
    DirtyBranchError,
    InvalidInputError,
    InvalidNameError,
    InvalidPathError,
    InvalidRefError,
    LakelineError,
    MergeConflictError,
    NoChangesError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StoreUnavailableError,
)


class ApiError(Exception):
    """An HTTP error answer: ``status`` and a JSON body (``{"message": ...}`` by default)."""

    def __init__(
        self, status: int, message: str = "", *, body: dict[str, Any] | None = None, model: str | None = None
    ) -> None:
        super().__init__(message or str(body))
        self.status = status
        self.body: dict[str, Any] = body if body is not None else {"message": message}
        self.model = model or ("Error" if body is None else None)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "not found") -> ApiError:
    return ApiError(404, message)


def unsupported(what: str) -> ApiError:
    """A lakeFS feature this test server does not emulate: say so instead of pretending."""
    return ApiError(400, f"{what} is not supported by the lakeline test server")


# Store error -> (lakeFS status, the phrase lakeFS's own message carries). Order matters:
# subclasses first.
_STORE_ERRORS: tuple[tuple[type[LakelineError], int, str], ...] = (
    (MergeConflictError, 409, "conflict found"),
    (AlreadyExistsError, 409, "already exists"),
    (ConflictError, 409, "conflict found"),
    (NoChangesError, 400, "no changes"),
    (DirtyBranchError, 400, "uncommitted changes (dirty branch)"),
    (InvalidRefError, 400, "ref: invalid value"),
    (InvalidPathError, 400, "invalid path"),
    (InvalidNameError, 400, ""),  # phrase depends on what was named, see _name_phrase
    (InvalidInputError, 400, ""),
    (NotFoundError, 404, "not found"),
    (PermissionDeniedError, 403, ""),
    (PreconditionFailedError, 412, "precondition failed"),
    (CorruptObjectError, 500, ""),
    (StoreUnavailableError, 503, ""),
)


def _name_phrase(message: str) -> str:
    lowered = message.lower()
    for kind in ("repository", "branch", "tag"):
        if kind in lowered:
            return f"{kind} id: invalid value"
    return "invalid name"


def from_store_error(exc: LakelineError) -> ApiError:
    """The lakeFS answer for a store error: lakeFS's status and phrase, the store's detail."""
    message = exc.message
    for cls, status, phrase in _STORE_ERRORS:
        if isinstance(exc, cls):
            if cls is InvalidNameError:
                phrase = _name_phrase(message)
            if phrase and phrase not in message.lower():
                message = f"{phrase}: {message}"
            return ApiError(status, message)
    return ApiError(500, message)
