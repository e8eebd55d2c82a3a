"""Server-side console sessions: a copy of the cookie is worth nothing once the session ended
(sign-out, the user disabled, a new password, idle, absolute end) — on every replica."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from app.access.users import set_disabled, set_password
from app.main import create_app
from app.models.common import Status
from app.models.tickets import Ticket
from app.models.users import ConsoleSession
from tests.api.test_console import PASSWORD, make_user, page_token, sign_in
from tests.support.builders import make_ticket

COOKIE = "appeals_console"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def browser(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def replay(app, cookie: str, path: str = "/console") -> httpx.Response:
    """The old cookie, sent by another browser (an attacker's copy)."""
    async with browser(app) as other:
        other.cookies.set(COOKIE, cookie, path="/console")
        return await other.get(path)


async def signed_in(app, login: str) -> tuple[httpx.AsyncClient, str]:
    client = browser(app)
    r = await sign_in(client, login)
    assert r.status_code == 303, r.text
    cookie = client.cookies.get(COOKIE)
    assert cookie
    assert (await replay(app, cookie)).status_code == 200  # the copy works while it lives
    return client, cookie


async def sessions_of(db) -> list[ConsoleSession]:
    async with db.sessionmaker() as session:
        return list((await session.exec(select(ConsoleSession))).all())


async def test_the_cookie_is_an_opaque_id_stored_hashed(db, app):
    await make_user(db, "opaque")
    client, cookie = await signed_in(app, "opaque")
    await client.aclose()
    (row,) = await sessions_of(db)
    assert row.id_hash == hashlib.sha256(cookie.encode()).hexdigest() != cookie
    assert "." not in cookie and len(cookie) >= 40  # no signed payload, no user id in it


async def test_sign_out_ends_the_session_even_for_a_copy_of_the_cookie(db, app):
    await make_user(db, "zaitseva")
    ticket = await make_ticket(db, department_code="roads")
    client, cookie = await signed_in(app, "zaitseva")
    token = await page_token(client, f"/console/tickets/{ticket.id}")
    r = await client.post("/console/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    await client.aclose()
    assert await sessions_of(db) == []
    r = await replay(app, cookie)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    # Nor does it change a ticket, even with the session's CSRF token.
    async with browser(app) as other:
        other.cookies.set(COOKIE, cookie, path="/console")
        r = await other.post(f"/console/tickets/{ticket.id}/take", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    async with db.sessionmaker() as session:
        stored = (await session.exec(select(Ticket).where(Ticket.id == ticket.id))).one()
        assert stored.status != Status.in_progress


async def test_sign_out_on_one_replica_ends_the_session_on_another(db, app):
    await make_user(db, "replicas")
    other_replica = create_app(db=db)
    client, cookie = await signed_in(app, "replicas")
    assert (await replay(other_replica, cookie)).status_code == 200
    token = await page_token(client, "/console")
    await client.post("/console/logout", data={"csrf_token": token})
    await client.aclose()
    assert (await replay(other_replica, cookie)).status_code == 303


async def test_disabling_a_user_ends_every_session_at_once(db, app):
    await make_user(db, "disabled")
    first, cookie1 = await signed_in(app, "disabled")
    second, cookie2 = await signed_in(app, "disabled")
    await first.aclose()
    await second.aclose()
    async with db.sessionmaker() as session:
        await set_disabled(session, login="disabled", disabled=True, now=datetime.now(UTC))
        await session.commit()
    assert await sessions_of(db) == []
    for cookie in (cookie1, cookie2):
        assert (await replay(app, cookie)).status_code == 303
    # Enabled again, the old sessions stay ended.
    async with db.sessionmaker() as session:
        await set_disabled(session, login="disabled", disabled=False, now=datetime.now(UTC))
        await session.commit()
    assert (await replay(app, cookie1)).status_code == 303


async def test_a_new_password_ends_every_session_at_once(db, app):
    await make_user(db, "newpass")
    client, cookie = await signed_in(app, "newpass")
    await client.aclose()
    async with db.sessionmaker() as session:
        await set_password(session, login="newpass", password="another long passphrase")
        await session.commit()
    assert (await replay(app, cookie)).status_code == 303
    async with browser(app) as fresh:
        assert (await sign_in(fresh, "newpass", PASSWORD)).status_code == 401
        assert (await sign_in(fresh, "newpass", "another long passphrase")).status_code == 303


async def test_an_idle_session_ends_and_activity_keeps_it(db, app):
    idle = timedelta(minutes=app.state.settings.console_session_idle_minutes)
    await make_user(db, "idle")
    app.state.clock = lambda: T0
    client, cookie = await signed_in(app, "idle")
    await client.aclose()
    seen = T0
    for step in (idle - timedelta(minutes=5), idle - timedelta(minutes=2)):
        seen += step  # each request comes before the session was idle that long
        app.state.clock = lambda at=seen: at
        assert (await replay(app, cookie)).status_code == 200
    app.state.clock = lambda: seen + idle + timedelta(seconds=1)
    assert (await replay(app, cookie)).status_code == 303
    # Ended for good: going back in time does not revive it.
    app.state.clock = lambda: seen + timedelta(minutes=1)
    assert (await replay(app, cookie)).status_code == 303


async def test_a_session_ends_at_its_absolute_end_however_active(db, app):
    settings = app.state.settings
    lifetime = timedelta(hours=settings.console_session_hours)
    step = timedelta(minutes=settings.console_session_idle_minutes) / 2
    await make_user(db, "busy")
    app.state.clock = lambda: T0
    client, cookie = await signed_in(app, "busy")
    await client.aclose()
    at = T0
    while at + step < T0 + lifetime:
        at += step
        app.state.clock = lambda now=at: now
        assert (await replay(app, cookie)).status_code == 200, at - T0
    app.state.clock = lambda: T0 + lifetime
    assert (await replay(app, cookie)).status_code == 303


async def test_signing_in_again_replaces_the_browsers_session(db, app):
    await make_user(db, "twice")
    async with browser(app) as client:
        await sign_in(client, "twice")
        first = client.cookies.get(COOKIE)
        await sign_in(client, "twice")
        second = client.cookies.get(COOKIE)
    assert first and second and first != second
    assert len(await sessions_of(db)) == 1
    assert (await replay(app, first)).status_code == 303
    assert (await replay(app, second)).status_code == 200
