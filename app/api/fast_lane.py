"""Routes with a fast lane: a request the lane can read itself skips FastAPI's dependency solving.

FastAPI solves an endpoint's dependencies and validates its query model on every request
(docs/PERFORMANCE.md, change 36: a third of the ticket list's own CPU). A hot read can name a
*lane* (``with_lane``): an async function of the request that either answers it or returns None
*before doing anything* (no caller looked up, nothing counted) — then the request goes the
standard way, so every answer the lane does not give (a 422, anything unusual) is FastAPI's own.
The route keeps its signature: the OpenAPI contract is generated from it as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

Lane = Callable[[Request], Awaitable[Response | None]]
E = TypeVar("E", bound=Callable[..., Any])

_LANES: dict[Callable[..., Any], Lane] = {}


def with_lane(lane: Lane) -> Callable[[E], E]:
    """Give an endpoint a fast lane (for routes of a ``FastLaneRoute`` router)."""

    def register(endpoint: E) -> E:
        _LANES[endpoint] = lane
        return endpoint

    return register


class FastLaneRoute(APIRoute):
    """An ``APIRoute`` that asks its endpoint's lane first (routes without one are unchanged)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        standard = super().get_route_handler()
        lane = _LANES.get(self.endpoint)
        if lane is None:
            return standard

        async def handler(request: Request) -> Response:
            response = await lane(request)
            return await standard(request) if response is None else response

        return handler
