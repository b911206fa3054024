"""lakeFS failures become lakeline errors in one place (store/lakefs/errors.py).

Every status lakeFS's API spec declares maps to a typed error with lakeFS's message kept;
overloaded statuses (400, 409) are refined by lakeFS's own phrases; a live server's answers
arrive as the same errors through lakefs-sdk's exceptions.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeline.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConflictError,
    DirtyBranchError,
    InvalidInputError,
    InvalidNameError,
    InvalidRefError,
    LakelineError,
    MergeConflictError,
    NoChangesError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StoreUnavailableError,
)
from lakeline.store.lakefs.errors import STATUS_TABLE, translate
from tests.lakefs_server import LakeFSTestServer

# Every error status in lakeFS's published API spec (responses of all operations), plus the
# ones its controller answers outside the spec (423 locked, 500 lock not acquired).
SPEC_ERROR_STATUSES = [400, 401, 403, 404, 409, 410, 412, 416, 429, 501]
EXPECTED = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: NotFoundError,
    412: PreconditionFailedError,
    416: InvalidInputError,
    423: StoreUnavailableError,
    429: StoreUnavailableError,
    500: StoreUnavailableError,
    501: StoreUnavailableError,
    502: StoreUnavailableError,
    503: StoreUnavailableError,
    504: StoreUnavailableError,
}


def body(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


@pytest.mark.parametrize("status", SPEC_ERROR_STATUSES)
def test_every_status_in_lakefs_spec_has_a_row_in_the_table(status: int) -> None:
    assert status in STATUS_TABLE


@pytest.mark.parametrize(("status", "error"), sorted(EXPECTED.items()))
def test_status_maps_to_its_error_and_keeps_lakefs_message(status: int, error: type[LakelineError]) -> None:
    translated = translate(
        status, body("something specific happened"), "read branch 'x' of lakeFS repository 'r'"
    )
    assert type(translated) is error
    assert "something specific happened" in str(translated)
    assert "read branch 'x'" in str(translated)
    assert f"lakeFS {status}" in str(translated)


def test_any_other_status_is_an_unavailable_store_never_a_crash() -> None:
    for status in range(100, 600):
        assert isinstance(translate(status, b"\xff not json", "x"), LakelineError)


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (400, "commit: no changes", NoChangesError),
        (400, "uncommitted changes (dirty branch)", DirtyBranchError),
        (400, "branch id: invalid value: validation error", InvalidNameError),
        (400, "repository id: invalid value", InvalidNameError),
        (400, "ref: invalid value", InvalidRefError),
        (409, "branch already exists: not unique", AlreadyExistsError),
        (409, "tag already exists: not unique", AlreadyExistsError),
        (409, "conflict found", MergeConflictError),
        (409, "", ConflictError),
    ],
)
def test_overloaded_statuses_are_refined_by_lakefs_phrases(status: int, message: str, error: type) -> None:
    assert type(translate(status, body(message), "act")) is error


def test_merge_conflict_body_without_message_is_a_conflict() -> None:
    # lakeFS answers merge conflicts with 409 {"reference": ""}.
    assert type(translate(409, b'{"reference": ""}', "merge")) is ConflictError


def test_authentication_error_says_where_keys_come_from() -> None:
    assert "LAKELINE_LAKEFS_ACCESS_KEY_ID" in str(translate(401, body("error authenticating request"), "x"))


# --- through a live server ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeFSTestServer]:
    with LakeFSTestServer(tmp_path_factory.mktemp("lakefs-errors")) as running:
        yield running


def open_store(server: LakeFSTestServer, *, secret: str | None = None):  # type: ignore[no-untyped-def]
    from lakeline.store.lakefs import LakeFSStore

    return LakeFSStore(
        endpoint=server.url,
        access_key_id=server.access_key_id,
        secret_access_key=secret or server.secret_access_key,
    )


def test_wrong_secret_is_an_authentication_error_that_does_not_echo_it(server: LakeFSTestServer) -> None:
    with (
        open_store(server, secret="SENTINEL-WRONG-SECRET") as store,
        pytest.raises(AuthenticationError) as caught,
    ):
        list(store.list_repositories())
    assert "SENTINEL" not in str(caught.value)
    assert "error authenticating request" in str(caught.value)


def test_live_answers_arrive_as_typed_errors(server: LakeFSTestServer) -> None:
    with open_store(server) as store:
        repo = store.create_repository("errors-live")
        with pytest.raises(AlreadyExistsError):
            store.create_repository("errors-live")
        with pytest.raises(PermissionDeniedError):
            repo.delete_branch("main")
        with pytest.raises(NotFoundError, match="nope"):
            repo.get_branch("nope")
        with pytest.raises(NoChangesError):
            repo.commit("main", "nothing staged")
        repo.put_object("main", "a", b"1")
        repo.create_branch("other", "main@")
        with pytest.raises(DirtyBranchError):
            repo.merge("other", "main")
        with pytest.raises(InvalidRefError):
            repo.get_commit("main~x")


def test_unreachable_server_is_store_unavailable_naming_the_endpoint(tmp_path: Path) -> None:
    from lakeline.store.lakefs import LakeFSStore
    from lakeline.store.lakefs.client import RetryPolicy

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again at once: nothing listens there
    with LakeFSStore(
        endpoint=f"http://127.0.0.1:{port}", access_key_id="k", secret_access_key="SENTINEL-S"
    ) as store:
        store.client.retry = RetryPolicy(attempts=2, base_delay=0.01)
        with pytest.raises(StoreUnavailableError) as caught:
            store.repository("anything")
    assert f"127.0.0.1:{port}" in str(caught.value) and "SENTINEL" not in str(caught.value)
