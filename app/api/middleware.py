"""ASGI middleware: request ids, the request body size limit, and the answer to the unexpected."""

from __future__ import annotations

import os
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import problem_response, unexpected_response
from app.logging_setup import request_id_var


def new_id() -> str:
    """A random version-4 UUID in hex, as ``uuid.uuid4().hex`` writes it, without building the
    ``UUID`` object (a third of this middleware's time per request)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    return raw.hex()


class RequestIdMiddleware:
    """Take ``X-Request-ID`` from the caller (or make one), log with it, echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                sent = value  # the last one, as a dict of the headers would keep
        incoming = sent.decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuse bodies above a limit with 413, whether announced or streamed."""

    def __init__(
        self, app: ASGIApp, *, default_limit: int, limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits or {}

    def _limit(self, path: str) -> int:
        for prefix, limit in self.limits.items():
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPException from body reading; the problem handler
                    # renders it.
                    raise HTTPException(413, f"the request body exceeds {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response: Any = problem_response(
            413,
            "Payload too large",
            f"the request body exceeds {limit} bytes",
            slug="payload-too-large",
        )
        await response(scope, receive, send)


class UnexpectedErrorMiddleware:
    """An error nothing else handled is answered here, as problem+json, and goes no further.

    Starlette's own last resort (``ServerErrorMiddleware``, where an ``Exception`` handler is
    registered) answers and then re-raises, so uvicorn drops the kept-alive connection and the
    caller's next request on it fails. Only when half an answer has already gone out is the
    error re-raised: then closing the connection is the honest end.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if started:
                raise
            response = await unexpected_response(Request(scope), exc)
            await response(scope, receive, send)
