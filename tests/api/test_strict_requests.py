"""Strict requests over HTTP: JSON bodies keep their types and refuse unknown fields (422), and
`Authorization` is exactly `Bearer`, one space, the key (else 401)."""

from __future__ import annotations

import pytest

from tests.support.builders import auth, make_key, make_ticket

PROBLEM = "application/problem+json"
POLICY = {
    "name": "strict_check",
    "category": "heating",
    "resolution": {"value": 1, "unit": "working_days"},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"active": 0}, "active"),  # a number is not a boolean
        ({"active": "false"}, "active"),
        ({"fast_track": 1}, "fast_track"),
        ({"position": "10"}, "position"),  # a string is not a number
        ({"position": True}, "position"),
        ({"resolution": {"value": "1", "unit": "working_days"}}, "resolution.value"),
        ({"actve": False}, "actve"),  # an unknown field (a typo) is not silently ignored
        ({"resolution": {"value": 1, "unit": "working_days", "x": 1}}, "resolution.x"),
    ],
)
async def test_a_policy_with_a_wrong_type_or_unknown_field_is_422(client, db, change, field):
    admin = auth(await make_key(db, "admin"))
    r = await client.post("/api/v1/sla-policies", json=POLICY | change, headers=admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert field in {e["field"].removeprefix("body.") for e in r.json()["errors"]}


async def test_the_same_policy_with_json_types_is_accepted(client, db):
    admin = auth(await make_key(db, "admin"))
    body = POLICY | {"active": False, "position": 10, "fast_track": True}
    r = await client.post("/api/v1/sla-policies", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["active"] is False and r.json()["position"] == 10


async def test_ticket_bodies_are_strict_too(client, db):
    operator = auth(await make_key(db, "operator", "roads"))
    base = {"text": "Яма на дороге", "category": "roads"}
    for bad in ({"lat": "43.1", "lon": 132.7}, {"priority": "high", "urgent": True}):
        r = await client.post("/api/v1/tickets", json=base | bad, headers=operator)
        assert r.status_code == 422, r.text
    r = await client.post(
        "/api/v1/tickets", json=base | {"lat": 43, "lon": 132.7}, headers=operator
    )
    assert r.status_code == 201, r.text  # an integer is a number
    ticket = await make_ticket(db, department_code="roads")
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/merge", json={"into": str(ticket.id)}, headers=operator
    )
    assert r.status_code == 422


@pytest.mark.parametrize(
    "template",
    [
        "Bearer  {key}",  # two spaces
        "Bearer {key} ",  # a trailing space
        "Bearer {key}\u00a0",  # a non-breaking space after the key
        "Bearer\u00a0{key}",
        "Bearer\t{key}",
        "Bearer {key}x",
        "Basic {key}",
        "{key}",
    ],
    ids=["two-spaces", "trailing", "nbsp-after", "nbsp-before", "tab", "longer", "basic", "bare"],
)
async def test_anything_but_bearer_one_space_key_is_401(client, db, template):
    key = await make_key(db, "operator", "roads")
    value = template.format(key=key)
    r = await client.get("/api/v1/tickets", headers={"Authorization": value.encode("latin-1")})
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_bearer_one_space_key_is_accepted(client, db, scheme):
    key = await make_key(db, "operator", "roads")
    r = await client.get("/api/v1/tickets", headers={"Authorization": f"{scheme} {key}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("second", ["Bearer nope", "Bearer {key}", "Basic {key}"])
@pytest.mark.parametrize("valid_first", [True, False])
async def test_more_than_one_authorization_header_is_401(client, db, second, valid_first):
    key = await make_key(db, "admin")
    valid, other = f"Bearer {key}", second.format(key=key)
    pair = [valid, other] if valid_first else [other, valid]
    r = await client.get(
        "/api/v1/tickets", headers=[("Authorization", pair[0]), ("Authorization", pair[1])]
    )
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == PROBLEM
    assert "exactly one Authorization header" in r.json()["detail"]
    # The same key alone is fine.
    assert (await client.get("/api/v1/tickets", headers=auth(key))).status_code == 200
