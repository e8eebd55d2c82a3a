"""A duplicate suggested across departments, one side in the triage department: triage sees it
on the triage page *and* on its own ticket's page (it may see both sides), with a merge button;
the other department never sees the triage ticket named (docs/CONSOLE.md, «Related tickets»)."""

from __future__ import annotations

import httpx
from sqlmodel import select

from app.models.common import Role, Status
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket
from tests.api.test_console import csrf_of, make_user, sign_in
from tests.support.builders import make_ticket


async def browser_for(app, db, login: str, role: Role, dept: str | None) -> httpx.AsyncClient:
    await make_user(db, login, role, dept)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    assert (await sign_in(client, login)).status_code == 303
    return client


async def test_triage_sees_and_merges_the_suggestion_on_its_own_ticket_page(db, app):
    unrouted = await make_ticket(db, department_code="press", category_code=None)
    roads = await make_ticket(db, department_code="roads")
    async with db.sessionmaker() as session:
        session.add(
            DuplicateSuggestion(ticket_id=unrouted.id, candidate_id=roads.id, score=0.8, reasons={})
        )
        await session.commit()

    roads_op = await browser_for(app, db, "roads-op", Role.operator, "roads")
    page = (await roads_op.get(f"/console/tickets/{roads.id}")).text
    assert unrouted.number not in page  # roads may not see the triage ticket
    await roads_op.aclose()

    triage = await browser_for(app, db, "triage-op", Role.operator, "press")
    page = (await triage.get(f"/console/tickets/{unrouted.id}")).text
    assert roads.number in page and "Возможный дубликат" in page
    assert f'href="/console/tickets/{roads.id}"' not in page  # a number, not a link
    assert f'action="/console/tickets/{unrouted.id}/merge"' in page
    assert f'name="into" value="{roads.id}"' in page
    triage_page = (await triage.get("/console/triage")).text
    assert roads.number in triage_page.split("Возможные дубликаты", 1)[-1]

    r = await triage.post(
        f"/console/tickets/{unrouted.id}/merge",
        data={"csrf_token": csrf_of(page), "into": str(roads.id), "confirm": "1"},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=merged"), r.headers
    await triage.aclose()
    async with db.sessionmaker() as session:
        merged = (await session.exec(select(Ticket).where(Ticket.id == unrouted.id))).one()
    assert merged.status == Status.merged and merged.duplicate_of_id == roads.id
