"""/repositories/{repository}/branches...: list, create, get, delete, reset, diff, revert."""

from __future__ import annotations

from ..errors import bad_request, unsupported
from ..pagination import after_filter, amount_of, page
from ..routing import Route
from ..state import ServerState
from ..wire import Request, Response, diff_json, json_field, listing, ref_json, string_map

BRANCHES = "/api/v1/repositories/{repository}/branches"
BRANCH = BRANCHES + "/{branch}"


def list_branches(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    amount = amount_of(req.q("amount"), state.page_limit)
    found = repo.list_branches(prefix=req.q("prefix") or "", after=req.q("after") or "", amount=amount + 1)
    results, pagination = page(found, amount, lambda b: b.name)
    return Response(200, listing([ref_json(b.name, b.commit_id) for b in results], pagination), "RefList")


def create_branch(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    body = req.json()
    name = json_field(body, "name", str, required=True)
    source = json_field(body, "source", str, required=True)
    if json_field(body, "hidden", bool):
        raise unsupported("hidden branches")
    branch = repo.create_branch(name, source)
    # lakeFS answers 201 with the commit id as a plain-text (text/html) body.
    return Response(201, branch.commit_id)


def get_branch(state: ServerState, req: Request) -> Response:
    branch = state.repo(req.params["repository"]).get_branch(req.params["branch"])
    return Response(200, ref_json(branch.name, branch.commit_id), "Ref")


def delete_branch(state: ServerState, req: Request) -> Response:
    state.repo(req.params["repository"]).delete_branch(req.params["branch"])
    return Response(204)


def reset_branch(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    branch = req.params["branch"]
    body = req.json()
    kind = json_field(body, "type", str, required=True)
    path = json_field(body, "path", str) or ""
    if kind == "reset":
        repo.reset_branch(branch)
    elif kind == "object":
        repo.reset_branch(branch, path)
    elif kind == "common_prefix":
        if path.endswith("/"):
            repo.reset_branch(branch, path)
        else:  # a prefix in lakeFS is any string, not only a folder
            for change in list(repo.diff_uncommitted(branch, prefix=path)):
                repo.reset_branch(branch, change.path)
    else:
        raise bad_request("unknown reset type")
    return Response(204)


def diff_branch(state: ServerState, req: Request) -> Response:
    if req.q("delimiter"):
        raise unsupported("delimiter in branch diffs")
    repo = state.repo(req.params["repository"])
    amount = amount_of(req.q("amount"), state.page_limit)
    changes = repo.diff_uncommitted(req.params["branch"], prefix=req.q("prefix") or "")
    results, pagination = page(
        after_filter(changes, req.q("after") or "", lambda c: c.path), amount, lambda c: c.path
    )
    return Response(200, listing([diff_json(c) for c in results], pagination), "DiffList")


def revert_branch(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    body = req.json()
    ref = json_field(body, "ref", str, required=True)
    parent_number = json_field(body, "parent_number", int, required=True)
    if json_field(body, "allow_empty", bool):
        raise unsupported("allow_empty reverts")
    overrides = body.get("commit_overrides") or {}
    if not isinstance(overrides, dict):
        raise bad_request('request body has an error: property "commit_overrides" must be an object')
    repo.revert(
        req.params["branch"],
        ref,
        parent_number=parent_number,
        message=json_field(overrides, "message", str),
        metadata=string_map(overrides, "metadata") or None,
    )
    return Response(204)


ROUTES = [
    Route("GET", BRANCHES, list_branches),
    Route("POST", BRANCHES, create_branch),
    Route("GET", BRANCH, get_branch),
    Route("DELETE", BRANCH, delete_branch),
    Route("PUT", BRANCH, reset_branch),
    Route("GET", BRANCH + "/diff", diff_branch),
    Route("POST", BRANCH + "/revert", revert_branch),
]
