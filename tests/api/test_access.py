"""Authentication, roles, and department isolation across every ticket endpoint."""

import pytest

from tests.support.builders import auth, make_key, make_ticket

# (method, path template, json body) for every endpoint that touches one ticket.
TICKET_ENDPOINTS = [
    ("GET", "/api/v1/tickets/{id}", None),
    ("PATCH", "/api/v1/tickets/{id}", {"priority": "high"}),
    ("POST", "/api/v1/tickets/{id}/transitions", {"to": "in_progress"}),
    ("POST", "/api/v1/tickets/{id}/comments", {"text": "внутренний комментарий"}),
    ("POST", "/api/v1/tickets/{id}/answers", {"text": "ответ", "kind": "final"}),
    ("GET", "/api/v1/tickets/{id}/answers", None),
    ("PUT", "/api/v1/tickets/{id}/assignment", {"assignee": "Иванов"}),
    ("GET", "/api/v1/tickets/{id}/events", None),
]


@pytest.mark.parametrize(("method", "path", "body"), TICKET_ENDPOINTS)
@pytest.mark.parametrize("role", ["operator", "manager"])
async def test_other_department_is_not_found_and_unchanged(client, db, method, path, body, role):
    ticket = await make_ticket(db)  # roads
    stranger = await make_key(db, role, "zhkh")
    owner = await make_key(db, "operator", "roads")
    before = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(owner))).json()
    timeline = (await client.get(f"/api/v1/tickets/{ticket.id}/events", headers=auth(owner))).json()
    headers = {**auth(stranger), "If-Match": f'"{ticket.id}-1"'}
    r = await client.request(method, path.format(id=ticket.id), json=body, headers=headers)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    after = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(owner))).json()
    assert after == before
    events = (await client.get(f"/api/v1/tickets/{ticket.id}/events", headers=auth(owner))).json()
    assert events == timeline


@pytest.mark.parametrize(("method", "path", "body"), TICKET_ENDPOINTS)
async def test_own_department_allowed(client, db, method, path, body):
    ticket = await make_ticket(db)
    owner = await make_key(db, "operator", "roads")
    headers = {**auth(owner), "If-Match": f'"{ticket.id}-1"'}
    r = await client.request(method, path.format(id=ticket.id), json=body, headers=headers)
    assert r.status_code in (200, 201), r.text


async def test_list_shows_only_own_department(client, db):
    roads = await make_ticket(db)
    await make_ticket(db, category_code="water")
    token = await make_key(db, "operator", "roads")
    items = (await client.get("/api/v1/tickets", headers=auth(token))).json()["items"]
    assert [t["id"] for t in items] == [roads.id]
    # Filtering by another department does not widen the view.
    items = (await client.get("/api/v1/tickets?department=zhkh", headers=auth(token))).json()
    assert items["items"] == []


async def test_admin_sees_all(client, db):
    await make_ticket(db)
    await make_ticket(db, category_code="water")
    token = await make_key(db, "admin")
    items = (await client.get("/api/v1/tickets", headers=auth(token))).json()["items"]
    assert {t["department"] for t in items} == {"roads", "zhkh"}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz"])
async def test_missing_or_bad_key_is_401(client, db, header):
    headers = {"Authorization": header} if header else {}
    r = await client.get("/api/v1/tickets", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_revoked_key_is_401(client, db):
    from sqlmodel import select

    from app.access.api_keys import hash_key, revoke_api_key
    from app.models.auth import ApiKey

    token = await make_key(db, "operator", "roads")
    async with db.sessionmaker() as session:
        key = (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(token)))).one()
        await revoke_api_key(session, key_id=key.id)
        await session.commit()
    r = await client.get("/api/v1/tickets", headers=auth(token))
    assert r.status_code == 401


async def test_keys_are_stored_hashed(db):
    from sqlmodel import select

    from app.models.auth import ApiKey

    token = await make_key(db, "operator", "roads")
    async with db.sessionmaker() as session:
        rows = (await session.exec(select(ApiKey))).all()
    assert all(token not in (r.key_hash, r.prefix) for r in rows)
    assert any(token.startswith(r.prefix) for r in rows)


async def test_integration_role_cannot_read_tickets(client, db):
    ticket = await make_ticket(db)
    token = await make_key(db, "integration", "press")
    assert (await client.get("/api/v1/tickets", headers=auth(token))).status_code == 403
    r = await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"


async def test_personal_data_by_role(client, db):
    ticket = await make_ticket(db)
    operator = await make_key(db, "operator", "roads")
    admin = await make_key(db, "admin")
    full = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(operator))).json()
    masked = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(admin))).json()
    assert full["applicant"]["full_name"] == "Петрова Ольга Игоревна"
    assert full["applicant"]["phone"] == "+79240000000"
    assert masked["applicant"]["masked"] is True
    assert "Петрова" not in str(masked) and "79240000000" not in str(masked)


async def test_unknown_ticket_is_404(client, db):
    token = await make_key(db, "admin")
    r = await client.get("/api/v1/tickets/999999", headers=auth(token))
    assert r.status_code == 404
    assert r.json()["detail"] == "ticket 999999 does not exist"


async def test_operator_cannot_create_for_other_department(client, db):
    token = await make_key(db, "operator", "roads")
    r = await client.post(
        "/api/v1/tickets", json={"text": "x", "department": "zhkh"}, headers=auth(token)
    )
    assert r.status_code == 403
