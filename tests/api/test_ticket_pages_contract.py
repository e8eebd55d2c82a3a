"""The ticket list and ticket page, whose JSON PostgreSQL builds and the API passes through
unvalidated (app/tickets/pages.py), keep the contract: every response validates against the
published OpenAPI schema, has exactly the schema's fields, and says what the pydantic presenter
says for the same ticket and caller — masking, links, `overdue` and datetimes included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from app.access import visibility
from app.access.api_keys import Principal
from app.models.common import Role, Status
from app.models.drafts import ApplicantDraft
from app.models.tickets import Applicant, Ticket
from app.tickets.presenters import linked_ids, ticket_public
from app.tickets.status import apply_status
from tests.support.builders import auth, make_key, make_ticket

CONTRACT = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text("utf-8")
)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
VIEWERS = [("operator", "roads"), ("manager", "roads"), ("operator", "zhkh"), ("admin", None)]


def validator(name: str) -> Any:
    schema = {"$ref": f"#/components/schemas/{name}", "components": CONTRACT["components"]}
    return jsonschema_rs.validator_for(schema)


PAGE = validator("Page_TicketPublic_")
TICKET = validator("TicketPublic")
FIELDS = set(CONTRACT["components"]["schemas"]["TicketPublic"]["properties"])


async def tickets_of_every_shape(db) -> list[int]:
    """Tickets with every kind of value a page shows: full and split names, no applicant, a
    purged one, links within and across departments, overdue, coordinates and attachments,
    whole-second and fractional datetimes."""
    full = ApplicantDraft(
        full_name="Петрова Ольга Игоревна",
        email="olga.petrova@example.ru",
        phone="+7 (924) 000-00-00",
        post_address="ул. Ленина, 1, кв. 2",
        profile_url="https://vk.com/id1",
    )
    split = ApplicantDraft(surname="Иванов", name="Пётр", phone="89240000011")
    a = await make_ticket(db, applicant=full, now=NOW - timedelta(days=40), address="Ленина 1")
    b = await make_ticket(db, applicant=split, category_code="water", now=NOW - timedelta(hours=3))
    c = await make_ticket(
        db, applicant=None, now=NOW.replace(microsecond=123456), lat=55.75, lon=37.0
    )
    d = await make_ticket(db, now=NOW - timedelta(days=2))
    async with db.sessionmaker() as session:
        rows = {t.id: t for t in [await session.get(Ticket, i) for i in (a.id, b.id, c.id, d.id)]}
        rows[c.id].duplicate_of_id = b.id  # roads → zhkh: only who sees both is told
        rows[c.id].attachments = [{"url": "https://example.ru/1.jpg", "name": 'яма "1"'}]
        rows[d.id].repeat_of_id = a.id
        apply_status(rows[d.id], Status.in_progress, now=NOW - timedelta(days=1))
        purged = await session.get(Applicant, rows[d.id].applicant_id)
        assert purged is not None
        purged.purged_at = NOW - timedelta(hours=1)
        await session.commit()
    return [a.id, b.id, c.id, d.id]


async def presented(db, ticket_id: int, principal: Principal) -> dict[str, Any]:
    """What the pydantic presenter answers for this ticket and caller, as JSON."""
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        applicant = await session.get(Applicant, ticket.applicant_id or 0)
        seen = await visibility.seen_ids(session, principal, linked_ids([ticket]))
        model = ticket_public(ticket, applicant, principal, now=NOW, links_seen=seen)
    return json.loads(model.model_dump_json())


def checked_ticket(item: dict[str, Any]) -> None:
    TICKET.validate(item)
    assert set(item) == FIELDS


@pytest.mark.parametrize(("role", "department"), VIEWERS)
async def test_pages_keep_the_contract_and_say_what_the_presenter_says(
    app, client, db, role, department
):
    ids = await tickets_of_every_shape(db)
    token = await make_key(db, role, department)
    principal = Principal(None, Role(role), department)
    app.state.clock = lambda: NOW
    seen: dict[int, dict[str, Any]] = {}
    for query in ("", "?overdue=true", "?sort=resolution_due_at", "?q=Ленина", "?limit=2"):
        r = await client.get(f"/api/v1/tickets{query}", headers=auth(token))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        page = r.json()
        PAGE.validate(page)
        for item in page["items"]:
            checked_ticket(item)
            seen[item["id"]] = item
    expected_ids = {
        i for i in ids if role == "admin" or (await presented_department(db, i)) == department
    }
    assert set(seen) == expected_ids
    for ticket_id in ids:
        r = await client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(token))
        if ticket_id not in expected_ids:
            assert r.status_code == 404
            continue
        assert r.status_code == 200, r.text
        body = r.json()
        checked_ticket(body)
        assert body == seen[ticket_id] == await presented(db, ticket_id, principal)
        assert r.headers["etag"] == f'"{ticket_id}-{body["version"]}"'


async def presented_department(db, ticket_id: int) -> str:
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.department_code


async def test_cursor_pages_walk_every_ticket_once_in_order(client, db):
    made = [await make_ticket(db, now=NOW - timedelta(minutes=i)) for i in range(7)]
    token = await make_key(db, "operator", "roads")
    got: list[int] = []
    url = "/api/v1/tickets?limit=3"
    while True:
        page = (await client.get(url, headers=auth(token))).json()
        PAGE.validate(page)
        got += [t["id"] for t in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/api/v1/tickets?limit=3&cursor={page['next_cursor']}"
    assert got == [t.id for t in made]


async def test_an_empty_page_and_an_unseen_ticket(client, db):
    other = await make_ticket(db, category_code="water")
    token = await make_key(db, "operator", "roads")
    r = await client.get("/api/v1/tickets", headers=auth(token))
    assert r.json() == {"items": [], "next_cursor": None}
    PAGE.validate(r.json())
    r = await client.get(f"/api/v1/tickets/{other.id}", headers=auth(token))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
