"""/repositories/{repository}/tags...: list, create, get, delete."""

from __future__ import annotations

from ..pagination import amount_of, page
from ..routing import Route
from ..state import ServerState
from ..wire import Request, Response, json_field, listing, ref_json

TAGS = "/api/v1/repositories/{repository}/tags"


def list_tags(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    amount = amount_of(req.q("amount"), state.page_limit)
    found = repo.list_tags(prefix=req.q("prefix") or "", after=req.q("after") or "", amount=amount + 1)
    results, pagination = page(found, amount, lambda t: t.name)
    return Response(200, listing([ref_json(t.name, t.commit_id) for t in results], pagination), "RefList")


def create_tag(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    body = req.json()
    tag = repo.create_tag(
        json_field(body, "id", str, required=True), json_field(body, "ref", str, required=True)
    )
    return Response(201, ref_json(tag.name, tag.commit_id), "Ref")


def get_tag(state: ServerState, req: Request) -> Response:
    tag = state.repo(req.params["repository"]).get_tag(req.params["tag"])
    return Response(200, ref_json(tag.name, tag.commit_id), "Ref")


def delete_tag(state: ServerState, req: Request) -> Response:
    state.repo(req.params["repository"]).delete_tag(req.params["tag"])
    return Response(204)


ROUTES = [
    Route("GET", TAGS, list_tags),
    Route("POST", TAGS, create_tag),
    Route("GET", TAGS + "/{tag}", get_tag),
    Route("DELETE", TAGS + "/{tag}", delete_tag),
]
