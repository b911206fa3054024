"""The lakeFS test server answers like lakeFS's published API: paths, status codes, error
bodies, pagination objects, plain-text create_branch, the merge-conflict body, pre-signed URL
rules; and it runs standalone with ``python -m tests.lakefs_server``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lakefs_sdk
import pytest
import urllib3

from tests.lakefs_server import LakeFSTestServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeFSTestServer]:
    with LakeFSTestServer(tmp_path_factory.mktemp("lakefs-wire")) as running:
        yield running


class Http:
    """Raw HTTP to the server, as any lakeFS client would send it."""

    def __init__(self, server: LakeFSTestServer) -> None:
        self.server = server
        self.pool = urllib3.PoolManager()
        self.auth = urllib3.make_headers(basic_auth=f"{server.access_key_id}:{server.secret_access_key}")

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        send = {**(self.auth if auth else {}), **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            send.setdefault("Content-Type", "application/json")
        url = path if path.startswith("http") else self.server.endpoint + path
        return self.pool.request(method, url, body=data, headers=send, redirect=False)


@pytest.fixture(scope="module")
def http(server: LakeFSTestServer) -> Http:
    client = Http(server)
    answer = client("POST", "/repositories", {"name": "wire", "storage_namespace": "local://wire"})
    assert answer.status == 201, answer.data
    return client


def error_message(answer: urllib3.BaseHTTPResponse) -> str:
    assert answer.headers["Content-Type"] == "application/json"
    return str(lakefs_sdk.Error.from_dict(json.loads(answer.data)).message)


def test_missing_or_wrong_credentials_are_401_with_an_error_body(http: Http) -> None:
    assert http("GET", "/repositories", auth=False).status == 401
    wrong = http("GET", "/repositories", auth=False, headers=urllib3.make_headers(basic_auth="a:b"))
    assert wrong.status == 401 and error_message(wrong) == "error authenticating request"
    assert http("GET", "/healthcheck", auth=False).status == 204


def test_unknown_route_is_404_and_wrong_method_405(http: Http) -> None:
    assert http("GET", "/no/such/route").status == 404
    assert http("PATCH", "/repositories/wire").status in (404, 405, 501)
    assert http("POST", "/repositories/wire/tags/x").status == 405


def test_create_branch_answers_201_with_the_commit_id_as_plain_text(http: Http) -> None:
    head = json.loads(http("GET", "/repositories/wire/branches/main").data)["commit_id"]
    created = http("POST", "/repositories/wire/branches", {"name": "plain", "source": "main"})
    assert created.status == 201
    assert created.headers["Content-Type"].startswith("text/html")
    assert created.data.decode() == head


def test_listings_carry_lakefs_pagination_and_reject_amount_over_1000(http: Http) -> None:
    for i in range(3):
        http("POST", "/repositories/wire/tags", {"id": f"page-{i}", "ref": "main"})
    first = lakefs_sdk.RefList.from_dict(
        json.loads(http("GET", "/repositories/wire/tags?prefix=page-&amount=2").data)
    )
    assert [r.id for r in first.results] == ["page-0", "page-1"]
    assert first.pagination.has_more and first.pagination.next_offset == "page-1"
    rest = json.loads(http("GET", "/repositories/wire/tags?prefix=page-&amount=2&after=page-1").data)
    assert rest["pagination"] == {"has_more": False, "next_offset": "", "results": 1, "max_per_page": 1000}
    too_many = http("GET", "/repositories/wire/tags?amount=1001")
    assert too_many.status == 400 and "at most 1000" in error_message(too_many)


def test_sdk_style_booleans_and_encoded_refs_are_understood(http: Http) -> None:
    # lakefs-sdk sends True/False and encodes '@' as %40.
    answer = http("GET", "/repositories/wire/refs/main%40/objects/ls?user_metadata=True&amount=5")
    assert answer.status == 200
    bad = http("GET", "/repositories/wire/refs/main/objects/ls?user_metadata=maybe")
    assert bad.status == 400


def test_merge_conflict_is_409_with_an_empty_reference(http: Http) -> None:
    http("POST", "/repositories/wire/branches", {"name": "side", "source": "main"})
    for branch, content in (("main", b"main side"), ("side", b"other side")):
        put = http(
            "POST",
            f"/repositories/wire/branches/{branch}/objects?path=clash.txt",
            content,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert put.status == 201, put.data
        assert http("POST", f"/repositories/wire/branches/{branch}/commits", {"message": "m"}).status == 201
    conflict = http("POST", "/repositories/wire/refs/side/merge/main", {})
    assert conflict.status == 409
    assert json.loads(conflict.data) == {"reference": ""}


def test_no_changes_dirty_branch_and_default_branch_answers(http: Http) -> None:
    empty = http("POST", "/repositories/wire/branches/main/commits", {"message": "nothing"})
    assert empty.status == 400 and "no changes" in error_message(empty)
    http("POST", "/repositories/wire/branches/main/objects?path=dirty", b"d")
    http("POST", "/repositories/wire/branches", {"name": "dirty-target-src", "source": "main@"})
    dirty = http("POST", "/repositories/wire/refs/side/merge/main", {"strategy": "source-wins"})
    assert dirty.status == 400 and "dirty branch" in error_message(dirty)
    http("PUT", "/repositories/wire/branches/main", {"type": "reset"})
    assert http("DELETE", "/repositories/wire/branches/main").status == 403


def test_deleting_a_missing_object_is_204_as_in_lakefs(http: Http) -> None:
    assert http("DELETE", "/repositories/wire/branches/main/objects?path=never-there").status == 204
    assert http("DELETE", "/repositories/wire/branches/nope/objects?path=x").status == 404


def test_upload_if_none_match_star_is_412_on_an_existing_path(http: Http) -> None:
    headers = {"If-None-Match": "*", "Content-Type": "application/octet-stream"}
    assert (
        http("POST", "/repositories/wire/branches/main/objects?path=once", b"1", headers=headers).status
        == 201
    )
    again = http("POST", "/repositories/wire/branches/main/objects?path=once", b"2", headers=headers)
    assert again.status == 412
    http("PUT", "/repositories/wire/branches/main", {"type": "reset"})


def test_raw_upload_metadata_headers_are_lowercased_and_reads_support_ranges(http: Http) -> None:
    put = http(
        "POST",
        "/repositories/wire/branches/main/objects?path=r.txt",
        b"0123456789",
        headers={"Content-Type": "text/plain", "X-Lakefs-Meta-Owner": "alice"},
    )
    stats = lakefs_sdk.ObjectStats.from_dict(json.loads(put.data))
    assert stats.metadata == {"owner": "alice"} and stats.content_type == "text/plain"
    part = http("GET", "/repositories/wire/refs/main/objects?path=r.txt", headers={"Range": "bytes=2-4"})
    assert part.status == 206 and part.data == b"234"
    assert part.headers["Content-Range"] == "bytes 2-4/10"
    full = http("GET", "/repositories/wire/refs/main/objects?path=r.txt")
    assert full.headers["ETag"] == f'"{stats.checksum}"'
    unchanged = http(
        "GET",
        "/repositories/wire/refs/main/objects?path=r.txt",
        headers={"If-None-Match": full.headers["ETag"]},
    )
    assert unchanged.status == 304


def test_presign_requests_are_refused_when_the_server_does_not_announce_it(
    http: Http, server: LakeFSTestServer
) -> None:
    config = lakefs_sdk.Config.from_dict(json.loads(http("GET", "/config").data))
    assert config.storage_config.pre_sign_support is False
    answer = http("GET", "/repositories/wire/branches/main/staging/backing?path=p&presign=true")
    assert answer.status == 400 and error_message(answer) == "operation not supported"


def test_presigned_urls_are_signed_expire_and_refuse_a_second_credential(tmp_path: Path) -> None:
    with LakeFSTestServer(tmp_path, presign=True) as presigning:
        client = Http(presigning)
        client("POST", "/repositories", {"name": "signed", "storage_namespace": "s3://bucket/signed"})
        location = lakefs_sdk.StagingLocation.from_dict(
            json.loads(
                client("GET", "/repositories/signed/branches/main/staging/backing?path=x&presign=true").data
            )
        )
        url = location.presigned_url
        assert url and location.presigned_url_expiry > time.time()
        assert client("PUT", url, b"data").status == 400  # carries lakeFS's Basic auth too
        assert client("PUT", url[:-4] + "0000", b"data", auth=False).status == 403  # tampered signature
        put = client("PUT", url, b"data", auth=False)
        assert put.status == 200
        link = {"staging": location.to_dict(), "checksum": put.headers["ETag"].strip('"'), "size_bytes": 4}
        linked = client("PUT", "/repositories/signed/branches/main/staging/backing?path=x", link)
        assert linked.status == 200
        assert lakefs_sdk.ObjectStats.from_dict(json.loads(linked.data)).size_bytes == 4
        reused = client("PUT", "/repositories/signed/branches/main/staging/backing?path=y", link)
        assert reused.status == 400 and "bad address token" in error_message(reused)
        stat = json.loads(
            client("GET", "/repositories/signed/refs/main/objects/stat?path=x&presign=true").data
        )
        assert client("GET", stat["physical_address"], auth=False).data == b"data"
        redirect = client("GET", "/repositories/signed/refs/main/objects?path=x&presign=true")
        assert redirect.status == 302 and "/_presigned/objects/" in redirect.headers["Location"]
        presigning.state.presigner.key = os.urandom(32)  # every earlier URL is now invalid
        assert client("GET", stat["physical_address"], auth=False).status == 403


def test_runs_standalone_and_prints_its_url_and_keys(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.lakefs_server",
            "--port",
            "0",
            "--root",
            str(tmp_path / "root"),
            "--access-key-id",
            "AKIASTANDALONE",
            "--secret-access-key",
            "standalone-secret",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        url = lines[1].strip().split("=", 1)[1]
        assert lines[0].startswith("lakeFS test server at http://127.0.0.1:")
        assert "AKIASTANDALONE" in lines[2] and "standalone-secret" in lines[3]
        from lakeline.store.lakefs import LakeFSStore

        with LakeFSStore(
            endpoint=url, access_key_id="AKIASTANDALONE", secret_access_key="standalone-secret"
        ) as store:
            assert store.create_repository("standalone").info().default_branch == "main"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_an_answer_the_sdk_could_not_read_is_caught_as_a_server_bug() -> None:
    from tests.lakefs_server.server import validate_model

    commit = {
        "id": "c" * 64,
        "parents": [],
        "committer": "x",
        "message": "m",
        "creation_date": 1,
        "meta_range_id": "",
        "metadata": {},
    }
    validate_model("Commit", commit)
    with pytest.raises(Exception, match="creation_date"):
        validate_model("Commit", {**commit, "creation_date": 1.5})  # lakefs-sdk wants an int
    with pytest.raises(Exception, match="next_offset"):
        validate_model(
            "RefList", {"results": [], "pagination": {"has_more": False, "results": 0, "max_per_page": 1}}
        )
