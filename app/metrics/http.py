"""HTTP request durations per process (a technical series: each replica is scraped itself).

Labelled by the route *template* (``/api/v1/tickets/{ticket_id}``), never the raw path, so the
label set stays bounded whatever callers send; requests that match no route share one label.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics.catalog import HTTP_REQUEST_DURATION

# ``*_created`` series are not part of the text format promtool expects from us.
disable_created_metrics()

UNMATCHED = "unmatched"

REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_DURATION = Histogram(
    HTTP_REQUEST_DURATION.name,
    HTTP_REQUEST_DURATION.help,
    HTTP_REQUEST_DURATION.labels,
    registry=REGISTRY,
    buckets=HTTP_REQUEST_DURATION.buckets,
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def process_exposition() -> str:
    """This process's technical series in the text format."""
    return generate_latest(REGISTRY).decode()


def route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


# The histogram's child per (method, route template, status): the label set is bounded (the
# routes, seven methods, the statuses the app answers), and ``labels()`` checked and joined the
# three values again on every request.
_children: dict[tuple[str, str, int], Any] = {}


def _child(method: str, route: str, status: int) -> Any:
    key = (method, route, status)
    child = _children.get(key)
    if child is None:
        child = REQUEST_DURATION.labels(method=method, route=route, status=str(status))
        _children[key] = child
    return child


class HttpMetricsMiddleware:
    """Time every HTTP request, whatever its outcome (an unhandled error counts as 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_capturing(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_capturing)
        finally:
            method = scope.get("method", "GET")
            _child(method if method in _METHODS else "OTHER", route_label(scope), status).observe(
                time.perf_counter() - started
            )
