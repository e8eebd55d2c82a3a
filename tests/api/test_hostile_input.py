"""Hostile input the fuzzers found: every answer is a documented problem, never a 500."""

from __future__ import annotations

import pytest

from tests.support.builders import auth, make_key

PROBLEM = "application/problem+json"


@pytest.mark.parametrize("escaped", ["\\u0000", "\\ud88c"])
async def test_text_postgresql_cannot_store_is_422(client, db, escaped):
    token = await make_key(db, "operator", "roads")
    body = '{"text": "Яма ' + escaped + ' у дома", "category": "roads"}'
    headers = {**auth(token), "content-type": "application/json"}
    r = await client.post("/api/v1/tickets", content=body.encode(), headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    r = await client.post(
        "/api/v1/tickets", json={"text": "Яма у дома", "category": "roads"}, headers=auth(token)
    )
    assert r.status_code == 201  # the session is fine afterwards


async def test_body_that_is_not_json_at_all_is_422(client, db):
    token = await make_key(db, "operator", "roads")
    headers = {**auth(token), "content-type": "application/json"}
    r = await client.post("/api/v1/tickets", content=b"\xff\xfe(\x81", headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/tickets", "GET, POST"),
        ("/api/v1/tickets/1", "GET, PATCH"),
        ("/api/v1/routing-rules/1", "DELETE, GET, PUT"),
        ("/open311/v2/requests.json", "GET, POST"),
    ],
)
async def test_405_lists_every_method_of_the_path(client, db, path, allow):
    token = await make_key(db, "admin")
    r = await client.options(path, headers=auth(token))
    assert r.status_code == 405
    assert r.headers["allow"] == allow


async def test_a_number_is_not_a_date_time(client, db):
    token = await make_key(db, "operator", "roads")
    r = await client.get("/api/v1/tickets", params={"created_to": "0.5"}, headers=auth(token))
    assert r.status_code == 422, r.text
    r = await client.get(
        "/api/v1/tickets", params={"created_to": "2026-11-20T00:00:00Z"}, headers=auth(token)
    )
    assert r.status_code == 200
