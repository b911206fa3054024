"""Commits: create on a branch, get one, and the log of a ref."""

from __future__ import annotations

from ..errors import unsupported
from ..pagination import amount_of, page
from ..routing import Route
from ..state import ServerState
from ..wire import Request, Response, commit_json, json_field, listing, string_map

REPO = "/api/v1/repositories/{repository}"


def commit(state: ServerState, req: Request) -> Response:
    if req.q("source_metarange"):
        raise unsupported("committing a source metarange")
    repo = state.repo(req.params["repository"])
    body = req.json()
    message = json_field(body, "message", str, required=True)
    if json_field(body, "date", int) is not None:
        raise unsupported("overriding the commit date")
    created = repo.commit(
        req.params["branch"],
        message,
        metadata=string_map(body, "metadata"),
        allow_empty=bool(json_field(body, "allow_empty", bool)),
    )
    return Response(201, commit_json(created), "Commit")


def get_commit(state: ServerState, req: Request) -> Response:
    found = state.repo(req.params["repository"]).get_commit(req.params["commitId"])
    return Response(200, commit_json(found), "Commit")


def log_commits(state: ServerState, req: Request) -> Response:
    for name in ("objects", "since", "stop_at"):
        if req.q_list(name) and any(req.q_list(name)):
            raise unsupported(f"the log's '{name}' filter")
    if req.q_bool("limit"):
        raise unsupported("the log's 'limit' flag")
    repo = state.repo(req.params["repository"])
    amount = amount_of(req.q("amount"), state.page_limit)
    found = repo.log(
        req.params["ref"],
        after=req.q("after") or "",
        amount=amount + 1,
        first_parent=bool(req.q_bool("first_parent")),
        prefixes=req.q_list("prefixes"),
    )
    results, pagination = page(found, amount, lambda c: c.id)
    return Response(200, listing([commit_json(c) for c in results], pagination), "CommitList")


ROUTES = [
    Route("POST", REPO + "/branches/{branch}/commits", commit),
    Route("GET", REPO + "/commits/{commitId}", get_commit),
    Route("GET", REPO + "/refs/{ref}/commits", log_commits),
]
