"""The ticket list and the ticket page answered from one statement each (app.tickets.pages).

No SQLAlchemy session and no response model at request time: the pool's asyncpg connection
runs the page's one statement outside a transaction (one statement is its own), and the bytes
orjson wrote go out as they are. The caller comes from this process's key cache (``KeyCache``)
and is confirmed by that same statement; a key the cache does not hold is read first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from app.access.api_keys import (
    Caller,
    KeyCache,
    cached_caller,
    require_token,
    resolve_with,
)
from app.api.deps import admitted, bearer_scheme, bearer_token, get_now
from app.db import driver_connection
from app.errors import NotFound
from app.tickets import pages
from app.tickets.queries import TicketFilters
from app.tickets.service import etag

JSON = "application/json"


def _cache(request: Request) -> KeyCache:
    return request.app.state.key_cache  # type: ignore[no-any-return]


async def page_caller(request: Request, check: pages.Check) -> Caller:
    """The caller of a page read: cached (confirmed by the page's statement) or read now;
    ``check`` (the role) is applied before any parameter is looked at, as ``StaffDep`` is."""
    cache = _cache(request)
    key_hash = require_token(bearer_token(request))
    found = cached_caller(cache, key_hash)
    if found is None:
        async with driver_connection(request.app.state.db.engine) as conn:
            found = await resolve_with(conn, cache, key_hash)
    admitted(request, found.principal)
    check(found.principal)
    return found


def caller_dependency(check: pages.Check) -> Callable[..., Awaitable[Caller]]:
    """``page_caller`` as a dependency (the fast lanes of app.api.routers.tickets call it
    themselves)."""

    async def caller(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> Caller:
        return await page_caller(request, check)

    return caller


async def list_response(
    request: Request,
    caller: Caller,
    check: pages.Check,
    *,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
) -> Response:
    """``Page[TicketPublic]`` for the caller (at most the configured page size)."""
    engine = request.app.state.db.engine
    limit = min(limit, request.app.state.settings.max_page_size)
    async with driver_connection(engine) as conn:
        _, body = await pages.list_page(
            conn,
            _cache(request),
            caller,
            check,
            filters=filters,
            sort=sort,
            limit=limit,
            cursor=cursor,
            now=await get_now(request),
            dialect=engine.dialect,
        )
    return Response(body, media_type=JSON)


async def ticket_response(
    request: Request, caller: Caller, check: pages.Check, *, ticket_id: int
) -> Response:
    """``TicketPublic`` with its ``ETag``; 404 for a ticket the caller does not see."""
    engine = request.app.state.db.engine
    async with driver_connection(engine) as conn:
        _, found = await pages.ticket_page(
            conn,
            _cache(request),
            caller,
            check,
            ticket_id=ticket_id,
            now=await get_now(request),
            dialect=engine.dialect,
        )
    if found is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    body, version = found
    return Response(body, media_type=JSON, headers={"ETag": etag(ticket_id, version)})
