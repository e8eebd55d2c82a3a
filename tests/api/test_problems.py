"""Every error class is RFC 9457 problem+json with a useful message, never a traceback."""

import httpx
import pytest

from app.api.rate_limit import RateLimiter
from app.config import get_settings
from app.db import Database
from app.main import create_app
from tests.support.builders import auth, make_key, make_ticket

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    assert "Traceback" not in r.text
    return body


async def test_404_unknown_route(client):
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert "/api/v1/nothing-here" in body["detail"]


async def test_405(client):
    assert_problem(await client.delete("/api/v1/tickets"), 405)


async def test_401_403(client, db):
    assert_problem(await client.get("/api/v1/tickets"), 401)
    token = await make_key(db, "integration", "press")
    assert_problem(await client.get("/api/v1/tickets", headers=auth(token)), 403)


async def test_422_with_field_errors(client, db):
    token = await make_key(db, "operator", "roads")
    r = await client.post(
        "/api/v1/tickets", json={"text": "", "priority": "urgent!"}, headers=auth(token)
    )
    body = assert_problem(r, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"body.text", "body.priority"} <= fields
    r = await client.post(
        "/api/v1/tickets",
        content=b"{not json",
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert_problem(r, 422)


async def test_409_412_428(client, db):
    token = await make_key(db, "operator", "roads")
    ticket = await make_ticket(db)
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json={"to": "closed"}, headers=auth(token)
    )
    assert assert_problem(r, 409)["allowed"]
    assert_problem(
        await client.patch(f"/api/v1/tickets/{ticket.id}", json={}, headers=auth(token)), 428
    )
    assert_problem(
        await client.patch(
            f"/api/v1/tickets/{ticket.id}", json={}, headers={**auth(token), "If-Match": '"x"'}
        ),
        412,
    )


async def test_413_body_too_large(client, db):
    token = await make_key(db, "operator", "roads")
    big = b'{"text": "' + b"a" * (get_settings().max_body_bytes + 10) + b'"}'
    r = await client.post(
        "/api/v1/tickets", content=big, headers={**auth(token), "Content-Type": "application/json"}
    )
    assert_problem(r, 413)


async def test_413_streamed_body_without_length(client, db):
    token = await make_key(db, "operator", "roads")

    async def chunks():
        yield b'{"text": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    r = await client.post(
        "/api/v1/tickets",
        content=chunks(),
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert_problem(r, 413)


async def test_500_is_a_problem_without_details(db, monkeypatch):
    from app.directory import service as directory

    async def broken(session):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(directory, "list_departments", broken)
    transport = httpx.ASGITransport(app=create_app(db=db), raise_app_exceptions=False)
    token = await make_key(db, "admin")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/api/v1/departments", headers=auth(token))
    body = assert_problem(r, 500)
    assert "secret internals" not in r.text
    assert body["request_id"] == r.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/departments"])
async def test_503_when_database_is_down(path):
    dead = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none", get_settings())
    transport = httpx.ASGITransport(app=create_app(db=dead), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get(path, headers={"Authorization": "Bearer apk_x_y"})
    assert_problem(r, 503)
    assert r.headers["retry-after"].isdigit()
    await dead.dispose()


async def test_readyz_reports_database_down():
    dead = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none", get_settings())
    transport = httpx.ASGITransport(app=create_app(db=dead))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["database"].startswith("unavailable")
        assert (await c.get("/healthz")).status_code == 200
    await dead.dispose()


async def test_readyz_ok(client, db):
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["migrations"] == "ok"


class FrozenLimiter(RateLimiter):
    """The app's limiter with its clock stopped 40.5 s into a minute."""

    def hit(self, key: str, now: float | None = None) -> None:
        super().hit(key, now=1000.5)


async def test_429_per_key_with_retry_after(db):
    app = create_app(db=db)
    app.state.rate_limiter = FrozenLimiter(2)
    token = await make_key(db, "operator", "roads")
    other = await make_key(db, "operator", "roads")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        for _ in range(2):
            assert (await c.get("/api/v1/tickets", headers=auth(token))).status_code == 200
        r = await c.get("/api/v1/tickets", headers=auth(token))
        assert_problem(r, 429)
        # The window ends 19.5 s later: the wait is rounded up to whole seconds.
        assert (r.headers["retry-after"], r.headers["ratelimit-reset"]) == ("20", "20")
        assert (r.headers["ratelimit-limit"], r.headers["ratelimit-remaining"]) == ("2", "0")
        assert (await c.get("/api/v1/tickets", headers=auth(other))).status_code == 200
