"""Refs: diff two refs, merge a ref into a branch, find their merge base."""

from __future__ import annotations

from lakeline.errors import MergeConflictError

from ..errors import ApiError, bad_request, not_found, unsupported
from ..pagination import amount_of, page
from ..routing import Route
from ..state import ServerState
from ..wire import Request, Response, diff_json, json_field, listing, string_map

REPO = "/api/v1/repositories/{repository}"


def diff_refs(state: ServerState, req: Request) -> Response:
    if req.q("delimiter"):
        raise unsupported("delimiter in ref diffs")
    if req.q_bool("include_right_stats"):
        raise unsupported("include_right_stats")
    diff_type = req.q("type") or "three_dot"
    if diff_type not in ("two_dot", "three_dot"):
        raise bad_request('parameter "type" in query has an error: value is not one of the allowed values')
    repo = state.repo(req.params["repository"])
    amount = amount_of(req.q("amount"), state.page_limit)
    found = repo.diff(
        req.params["leftRef"],
        req.params["rightRef"],
        prefix=req.q("prefix") or "",
        diff_type=diff_type,  # type: ignore[arg-type]
        after=req.q("after") or "",
        amount=amount + 1,
    )
    results, pagination = page(found, amount, lambda c: c.path)
    return Response(200, listing([diff_json(c) for c in results], pagination), "DiffList")


def merge(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    body = req.json()
    if json_field(body, "squash_merge", bool) or json_field(body, "allow_empty", bool):
        raise unsupported("squash and empty merges")
    strategy = json_field(body, "strategy", str) or None
    if strategy not in (None, "dest-wins", "source-wins"):
        raise bad_request(f"invalid strategy '{strategy}': merge strategy: invalid value")
    try:
        merged = repo.merge(
            req.params["sourceRef"],
            req.params["destinationBranch"],
            message=json_field(body, "message", str) or None,
            metadata=string_map(body, "metadata"),
            strategy=strategy,
        )
    except MergeConflictError:
        # lakeFS's answer to a merge conflict: 409 with an empty MergeResult, no paths.
        raise ApiError(409, body={"reference": ""}, model="MergeResult") from None
    return Response(200, {"reference": merged.id}, "MergeResult")


def find_merge_base(state: ServerState, req: Request) -> Response:
    repo = state.repo(req.params["repository"])
    source = repo.get_commit(req.params["sourceRef"])
    destination = repo.get_commit(req.params["destinationBranch"])
    ancestors = {c.id for c in repo.log(destination.id)}
    base = next((c for c in repo.log(source.id) if c.id in ancestors), None)
    if base is None:
        raise not_found("no merge base")
    body = {"source_commit_id": source.id, "destination_commit_id": destination.id, "base_commit_id": base.id}
    return Response(200, body, "FindMergeBaseResult")


ROUTES = [
    Route("GET", REPO + "/refs/{leftRef}/diff/{rightRef}", diff_refs),
    Route("POST", REPO + "/refs/{sourceRef}/merge/{destinationBranch}", merge),
    Route("GET", REPO + "/refs/{sourceRef}/merge/{destinationBranch}", find_merge_base),
]
