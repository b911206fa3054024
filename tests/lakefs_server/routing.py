"""The route table: lakeFS's API paths (as in its published spec) mapped to handlers.

A route is a method, a path template with ``{params}`` (each one whole, percent-decoded
path segment) and the lakefs-sdk model its JSON answer must deserialize into. An unknown
path is 404 and a known path with another method is 405, as lakeFS answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from .errors import ApiError
from .state import ServerState
from .wire import Request, Response

Handler = Callable[[ServerState, Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    authenticated: bool = True

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))

    def match(self, segments: list[str]) -> dict[str, str] | None:
        pattern = self.segments
        if len(pattern) != len(segments):
            return None
        params: dict[str, str] = {}
        for want, got in zip(pattern, segments, strict=True):
            if want.startswith("{") and want.endswith("}"):
                value = unquote(got)
                if not value:
                    return None
                params[want[1:-1]] = value
            elif want != got:
                return None
        return params


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def resolve(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        segments = raw_path.strip("/").split("/")
        allowed = False
        for route in self.routes:
            params = route.match(segments)
            if params is None:
                continue
            if route.method == method:
                return route, params
            allowed = True
        if allowed:
            raise ApiError(405, "method not allowed")
        raise ApiError(404, "path not found")


def build_router() -> Router:
    from .handlers import branches, commits, config, objects, presigned, refs, repositories, staging, tags

    routes: list[Route] = []
    for module in (repositories, branches, tags, commits, refs, objects, staging, config, presigned):
        routes.extend(module.ROUTES)
    return Router(routes)
