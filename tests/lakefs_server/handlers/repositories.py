"""/repositories and /repositories/{repository}."""

from __future__ import annotations

import re

from ..errors import ApiError, bad_request, unsupported
from ..pagination import after_filter, amount_of, page
from ..routing import Route
from ..state import ServerState
from ..wire import Request, Response, json_field, listing, repository_json

API = "/api/v1"
# The storage namespace pattern of lakeFS's RepositoryCreation schema.
NAMESPACE = re.compile(r"^(s3|gs|https?|mem|local|transient)://.*$")


def list_repositories(state: ServerState, req: Request) -> Response:
    prefix, after = req.q("prefix") or "", req.q("after") or ""
    amount = amount_of(req.q("amount"), state.page_limit)
    infos = sorted(state.store.list_repositories(), key=lambda info: info.name)
    wanted = after_filter((i for i in infos if i.name.startswith(prefix)), after, lambda i: i.name)
    results, pagination = page(wanted, amount, lambda i: i.name)
    return Response(200, listing([repository_json(i) for i in results], pagination), "RepositoryList")


def create_repository(state: ServerState, req: Request) -> Response:
    if req.q_bool("bare"):
        raise unsupported("bare repositories")
    body = req.json()
    name = json_field(body, "name", str, required=True)
    namespace = json_field(body, "storage_namespace", str, required=True)
    default_branch = json_field(body, "default_branch", str) or "main"
    if json_field(body, "sample_data", bool) or json_field(body, "read_only", bool):
        raise unsupported("sample data and read-only repositories")
    if not NAMESPACE.match(namespace):
        raise bad_request(
            'request body has an error: doesn\'t match schema: Error at "/storage_namespace": '
            "string doesn't match the regular expression"
        )
    for info in state.store.list_repositories():
        if info.name == name:
            raise ApiError(409, "repository already exists: not unique")
        if info.storage_namespace.rstrip("/") == namespace.rstrip("/"):
            raise bad_request(f"storage namespace already in use by repository '{info.name}': invalid value")
    repo = state.store.create_repository(name, default_branch=default_branch, storage_namespace=namespace)
    return Response(201, repository_json(repo.info()), "Repository")


def get_repository(state: ServerState, req: Request) -> Response:
    return Response(200, repository_json(state.repo(req.params["repository"]).info()), "Repository")


def delete_repository(state: ServerState, req: Request) -> Response:
    state.store.delete_repository(req.params["repository"])
    return Response(204)


ROUTES = [
    Route("GET", f"{API}/repositories", list_repositories),
    Route("POST", f"{API}/repositories", create_repository),
    Route("GET", f"{API}/repositories/{{repository}}", get_repository),
    Route("DELETE", f"{API}/repositories/{{repository}}", delete_repository),
]
