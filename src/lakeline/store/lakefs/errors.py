"""The one place where lakeFS failures become `lakeline.errors`.

`translate` maps an HTTP status (one table) and, for the statuses lakeFS overloads (400, 409),
a phrase of lakeFS's own message to the most precise lakeline error. lakeFS's message is kept;
a hint says what to do. Transport failures (refused, reset, timeout) mean the store is
unavailable. Nothing here ever formats a request, so credentials cannot leak into messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lakeline.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConflictError,
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


@dataclass(frozen=True)
class StatusRule:
    error: type[LakelineError]
    hint: str = ""


# HTTP status -> error class and what the user can do. Every status lakeFS's API spec
# declares is here (tests/test_lakefs_errors.py checks the spec against this table); any
# other status, and every 5xx, means the server is unavailable.
STATUS_TABLE: dict[int, StatusRule] = {
    400: StatusRule(InvalidInputError),
    401: StatusRule(
        AuthenticationError,
        "check the access key id and secret (LAKELINE_LAKEFS_ACCESS_KEY_ID / "
        "LAKELINE_LAKEFS_SECRET_ACCESS_KEY or ~/.lakectl.yaml)",
    ),
    403: StatusRule(PermissionDeniedError, "ask a lakeFS admin for permission, or pick another branch"),
    404: StatusRule(NotFoundError),
    405: StatusRule(StoreUnavailableError, "the server does not speak this lakeFS API version"),
    409: StatusRule(ConflictError, "re-read the current state and try again"),
    410: StatusRule(NotFoundError, "the object's data expired from the underlying storage"),
    412: StatusRule(PreconditionFailedError, "a precondition or pre-hook refused the change"),
    416: StatusRule(InvalidInputError, "the byte range is outside the object"),
    420: StatusRule(StoreUnavailableError, "the server throttled the request; try again later"),
    423: StatusRule(StoreUnavailableError, "the branch is locked by another writer; try again"),
    429: StatusRule(StoreUnavailableError, "too many requests; try again later"),
    501: StatusRule(StoreUnavailableError, "this lakeFS server does not implement the operation"),
}
UNAVAILABLE = StatusRule(StoreUnavailableError, "check that lakeFS is running and reachable")

# (status, phrase in lakeFS's message, error): more precise errors for overloaded statuses.
# Phrases are lakeFS's own error texts (graveler and the API controller), matched lowercase.
MESSAGE_RULES: tuple[tuple[int, str, type[LakelineError]], ...] = (
    (400, "no changes", NoChangesError),
    (400, "dirty branch", DirtyBranchError),
    (400, "uncommitted changes", DirtyBranchError),
    (400, "repository id", InvalidNameError),
    (400, "branch id", InvalidNameError),
    (400, "tag id", InvalidNameError),
    (400, "invalid name", InvalidNameError),
    (400, "ref: invalid", InvalidRefError),
    (400, "invalid ref", InvalidRefError),
    (400, "invalid path", InvalidPathError),
    (409, "already exists", AlreadyExistsError),
    (409, "not unique", AlreadyExistsError),
    (409, "conflict found", MergeConflictError),
)


def server_message(body: bytes | str | None) -> str:
    """lakeFS's ``{"message": ...}`` text from an error body (or the raw text, shortened)."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return str(parsed["message"]).strip()
    return text.strip()[:300]


def rule_for(status: int, message: str) -> StatusRule:
    lowered = message.lower()
    for rule_status, phrase, error in MESSAGE_RULES:
        if status == rule_status and phrase in lowered:
            base = STATUS_TABLE[status]
            return StatusRule(error, "" if error in (NoChangesError, DirtyBranchError) else base.hint)
    if status >= 500:
        return UNAVAILABLE
    return STATUS_TABLE.get(status, UNAVAILABLE)


def translate(status: int, body: bytes | str | None, action: str) -> LakelineError:
    """The lakeline error for a failed lakeFS call. ``action`` says what was attempted, on what
    (``"create branch 'x' in lakeFS repository 'r'"``)."""
    message = server_message(body) or f"HTTP {status}"
    rule = rule_for(status, message)
    text = f"{action}: {message} (lakeFS {status})"
    if rule.hint:
        text += f"; {rule.hint}"
    if rule.error is MergeConflictError:
        return MergeConflictError(text)
    return rule.error(text)


def unreachable(endpoint: str, action: str, exc: BaseException) -> StoreUnavailableError:
    """A transport failure: the request never got an HTTP answer."""
    reason = type(exc).__name__
    return StoreUnavailableError(
        f"{action}: lakeFS at {endpoint} is unreachable ({reason}); check that it is running"
    )


__all__ = [
    "MESSAGE_RULES",
    "STATUS_TABLE",
    "UNAVAILABLE",
    "StatusRule",
    "rule_for",
    "server_message",
    "translate",
    "unreachable",
]
