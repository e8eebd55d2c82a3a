"""The unexpected, answered cleanly (issue 23, items 2 and 4): a 500 is problem+json that keeps
the kept-alive connection open, a value PostgreSQL refuses is a 422 naming the real cause, and
what a database error quotes of the data (chat hashes, bound parameters) never reaches a log."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import traceback
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import DBAPIError

from app.data_errors import data_error_cause
from app.logging_setup import JsonFormatter
from app.main import create_app
from app.models.chatbot import ChatbotUpdate
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key, make_ticket
from tests.support.servers import serve_in_process

PROBLEM = "application/problem+json"
CHAT_HASH = hashlib.sha256(b"a chat that must stay private").hexdigest()


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request on an open connection and its whole response."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def get(path: str, host: str, token: str | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
def broken_departments(monkeypatch):
    """The departments list fails the way an unforeseen bug would."""
    from app.directory import service as directory

    async def broken(session):
        raise RuntimeError("an unforeseen bug")

    monkeypatch.setattr(directory, "list_departments", broken)


async def test_a_500_keeps_the_connection_for_the_next_request(db, broken_departments, caplog):
    token = await make_key(db, "admin")
    async with serve_in_process(create_app(db=db)) as base:
        url = urlsplit(base)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            status, headers, body = await exchange(
                reader, writer, get("/api/v1/departments", url.netloc, token)
            )
            assert status == 500
            assert headers["content-type"] == PROBLEM
            assert headers.get("connection", "").lower() != "close"
            problem = json.loads(body)
            assert problem["type"].endswith("/internal-error")
            assert problem["request_id"] == headers["x-request-id"]
            assert "unforeseen" not in body.decode()
            # The same socket carries the next request: the server did not drop it.
            status, _, body = await exchange(reader, writer, get("/healthz", url.netloc))
            assert status == 200, body
            status, _, _ = await exchange(
                reader, writer, get("/api/v1/departments", url.netloc, token)
            )
            assert status == 500
        finally:
            writer.close()
            await writer.wait_closed()
    # Logged once, as ours: never as an exception escaping to the server.
    ours = [r for r in caplog.records if r.name == "app.api.problems"]
    assert len(ours) == 2 and all(r.exc_info for r in ours)
    assert not [r for r in caplog.records if "Exception in ASGI application" in r.getMessage()]


async def _insert_twice(db, ticket: Ticket) -> None:
    async with db.sessionmaker() as session:
        for _ in range(2):
            session.add(ChatbotUpdate(chat_hash=CHAT_HASH, update_id=5, ticket_id=ticket.id))
            await session.flush()
            session.expunge_all()


async def test_a_database_error_in_the_log_quotes_no_data(db, caplog):
    assert db.engine.sync_engine.hide_parameters is True
    ticket = await make_ticket(db)
    with pytest.raises(DBAPIError) as info:
        await _insert_twice(db, ticket)
    # The driver's exception, in the chain a traceback prints, quotes PostgreSQL's DETAIL line:
    # the key's values. The log must not.
    assert CHAT_HASH in "".join(traceback.format_exception(info.value))
    caplog.set_level(logging.ERROR)
    try:
        raise RuntimeError("request failed") from info.value
    except RuntimeError:
        logging.getLogger("app.api.problems").exception("unhandled error: IntegrityError")
    (record,) = caplog.records
    line = JsonFormatter().format(record)
    assert "UniqueViolation" in line and "chatbot_updates_pkey" in line  # still diagnosable
    assert CHAT_HASH not in line
    assert "DETAIL: [hidden]" in line
    assert "[SQL parameters hidden" in line


async def test_the_engine_hides_parameters_from_error_text(db):
    ticket = await make_ticket(db)
    with pytest.raises(DBAPIError) as info:
        async with db.sessionmaker() as session:
            row = await session.get(Ticket, ticket.id)
            assert row is not None
            row.source_status = "ПАРАМЕТР-" + "x" * 80  # over String(64)
            await session.flush()
    assert "ПАРАМЕТР" not in str(info.value)
    cause = data_error_cause(info.value)
    assert cause == (
        "a value is longer than its field allows (value too long for type character varying(64))"
    )


async def test_a_value_postgresql_refuses_is_a_422_naming_the_cause(db, monkeypatch):
    """The backstop behind the parse-time bounds: a too-long value is 422, with why."""
    from app.directory import service as directory

    async def too_long(session):
        ticket = await session.get(Ticket, target.id)
        ticket.source_status = "x" * 65
        await session.flush()

    target = await make_ticket(db)
    monkeypatch.setattr(directory, "list_departments", too_long)
    token = await make_key(db, "admin")
    async with serve_in_process(create_app(db=db)) as base:
        url = urlsplit(base)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            status, headers, body = await exchange(
                reader, writer, get("/api/v1/departments", url.netloc, token)
            )
            assert (status, headers["content-type"]) == (422, PROBLEM)
            detail = json.loads(body)["detail"]
            assert "longer than its field allows" in detail and "varying(64)" in detail
            assert "NUL" not in detail
            status, _, _ = await exchange(reader, writer, get("/healthz", url.netloc))
            assert status == 200
        finally:
            writer.close()
            await writer.wait_closed()
    async with db.sessionmaker() as session:
        unchanged = await session.get(Ticket, target.id)
    assert unchanged is not None and unchanged.source_status != "x" * 65


async def test_nul_in_text_is_named_as_such(client, db):
    token = await make_key(db, "operator", "roads")
    body = '{"text": "Яма \\u0000 у дома", "category": "roads"}'
    headers = {**auth(token), "content-type": "application/json"}
    r = await client.post("/api/v1/tickets", content=body.encode(), headers=headers)
    assert r.status_code == 422, r.text
    assert "characters that cannot be stored (NUL" in r.json()["detail"]
