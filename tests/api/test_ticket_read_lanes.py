"""The ticket list and ticket page answer through their fast lanes (app.api.fast_lane) exactly
as through FastAPI's dependency solving: same status, bytes and ETag for every role, plain or
not; a lane request is counted once by the rate limiter; a page read's connection goes back to
the pool, or out of it when it broke."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from asyncpg import InterfaceError, InternalClientError, PostgresError
from sqlalchemy import text

from app.api import fast_lane
from app.api.rate_limit import RateLimiter
from app.db import driver_connection
from app.main import create_app
from tests.support.builders import auth, make_key, make_ticket

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

URLS = [
    "/api/v1/tickets",
    "/api/v1/tickets?limit=2",
    "/api/v1/tickets?status=new&status=routed&priority=normal",
    "/api/v1/tickets?overdue=false&sort=created_at&limit=3",
    "/api/v1/tickets?department=zhkh&q=%20",
    "/api/v1/tickets?limit=050",  # the model's reading: 50
    "/api/v1/tickets?limit=0",  # 422 from the model
    "/api/v1/tickets?overdue=yes",
    "/api/v1/tickets?created_from=2026-01-01T00:00:00Z",
    "/api/v1/tickets?cursor=not-ours",
    "/api/v1/tickets/{id}",
    "/api/v1/tickets/{other}",  # another department's: 404 for an operator
    "/api/v1/tickets/0{id}",
    "/api/v1/tickets/999999999",
    "/api/v1/tickets/9223372036854775808",
    "/api/v1/tickets/abc",
]


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def _answers(app: object, tokens: list[str | None], urls: list[str]) -> list[object]:
    out = []
    async with _client(app) as client:
        for token in tokens:
            for url in urls:
                r = await client.get(url, headers=auth(token) if token else {})
                body = r.json()
                if isinstance(body, dict):
                    body.pop("request_id", None)
                out.append((token, url, r.status_code, r.headers.get("etag"), body))
    return out


async def test_lanes_answer_as_fastapi_does(db, monkeypatch):
    mine = await make_ticket(db, category_code="roads")
    other = await make_ticket(db, category_code="heating")
    ticket_pages = 0
    taken = {}
    for endpoint, lane in list(fast_lane._LANES.items()):

        async def counted(request, lane=lane):
            nonlocal ticket_pages
            answer = await lane(request)
            ticket_pages += answer is not None
            return answer

        taken[endpoint] = counted
    apps = []
    for lanes in (taken, {}):  # an app's routes take their handlers on its first request
        monkeypatch.setattr(fast_lane, "_LANES", lanes)
        app = create_app(db=db)
        app.state.clock = lambda: NOW
        await _answers(app, [None], ["/api/v1/tickets", "/api/v1/tickets/1"])
        apps.append(app)
    with_lanes, without = apps
    tokens = [
        await make_key(db, "admin"),
        await make_key(db, "operator", mine.department_code),
        await make_key(db, "manager", mine.department_code),
        await make_key(db, "integration", mine.department_code),
        None,
        "apk_unknown",
    ]
    urls = [u.format(id=mine.id, other=other.id) for u in URLS]
    assert mine.department_code != other.department_code
    fast = await _answers(with_lanes, tokens, urls)
    answered = ticket_pages
    assert answered > 0
    slow = await _answers(without, tokens, urls)
    assert ticket_pages == answered  # the second app answered without its lanes
    assert fast == slow
    statuses = {status for _, _, status, _, _ in fast}
    assert {200, 401, 403, 404, 422} <= statuses


@pytest.mark.parametrize("url", ["/api/v1/tickets?limit=5", "/api/v1/tickets/{id}"])
async def test_a_lane_request_is_counted_once(db, url):
    ticket = await make_ticket(db)
    app = create_app(db=db)
    app.state.rate_limiter = RateLimiter(3)
    token = await make_key(db, "admin")
    async with _client(app) as client:
        statuses = [
            (await client.get(url.format(id=ticket.id), headers=auth(token))).status_code
            for _ in range(4)
        ]
    assert statuses == [200, 200, 200, 429]


async def test_a_page_connection_goes_back_to_the_pool(client, db):
    ticket = await make_ticket(db)
    token = await make_key(db, "operator", ticket.department_code)
    pool = db.engine.sync_engine.pool
    for url in ("/api/v1/tickets", f"/api/v1/tickets/{ticket.id}"):
        assert (await client.get(url, headers=auth(token))).status_code == 200
        assert pool.checkedout() == 0


async def test_a_connection_that_broke_leaves_the_pool(db):
    pool = db.engine.sync_engine.pool
    with pytest.raises((PostgresError, InterfaceError, InternalClientError, OSError)):
        async with driver_connection(db.engine) as conn:
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            async with db.engine.connect() as other:
                await other.execute(text(f"SELECT pg_terminate_backend({pid})"))
            await conn.fetchval("SELECT 1")
    assert pool.checkedout() == 0
    async with driver_connection(db.engine) as conn:  # a working connection, not the dead one
        assert await conn.fetchval("SELECT pg_backend_pid()") != pid
        assert await conn.fetchval("SELECT 1") == 1
    assert pool.checkedout() == 0
