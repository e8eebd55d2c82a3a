"""Links between tickets across departments: every page and endpoint that names a related
ticket × every kind of viewer (its own department, the other department, triage, admin).

One world: roads tickets A, A2, A3; housing (zhkh) tickets B, B2, M, R. The links, as pairs:
  AB   a suggested duplicate A~B (across) and A repeats B
  AA3  a suggested duplicate A~A3 (inside roads)
  A2B  A2 is merged into B (across: B moved departments afterwards)
  MA   M is merged into A (across)
  RA   R repeats A (across)
  B2B  B2 repeats B (inside zhkh)
A link may be named to a viewer only when the viewer sees both tickets; a suggested duplicate
across departments is for the triage department and admins, with both sides shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx
import pytest
from sqlmodel import select

from app.access.users import create_user
from app.models.common import Role, Status
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket
from app.tickets.events import record_event
from tests.support.builders import auth, make_key, make_ticket

PASSWORD = "correct horse battery"
AB, AA3, A2B, MA, RA, B2B = (
    frozenset(p)
    for p in (("A", "B"), ("A", "A3"), ("A2", "B"), ("M", "A"), ("R", "A"), ("B2", "B"))
)
ALL = {AB, AA3, A2B, MA, RA, B2B}
FIELD_LINKS = {AB, A2B, MA, RA, B2B}  # named by a ticket's duplicate_of / repeat_of
SUGGESTED = {AB, AA3}

VIEWERS = {
    "own": (Role.operator, "roads"),
    "other": (Role.operator, "zhkh"),
    "triage": (Role.operator, "press"),
    "admin": (Role.admin, None),
}
EXPECTED: dict[str, dict[str, set[frozenset[str]]]] = {
    # surface → viewer → the links it names to that viewer
    "api_ticket": {"own": set(), "other": {B2B}, "triage": set(), "admin": FIELD_LINKS},
    "api_list": {"own": set(), "other": {B2B}, "triage": set(), "admin": FIELD_LINKS},
    "api_events": {"own": {AA3}, "other": {B2B}, "triage": set(), "admin": ALL},
    "api_suggestions": {"own": {AA3}, "other": set(), "triage": {AB}, "admin": SUGGESTED},
    "console_ticket": {"own": {AA3}, "other": {B2B}, "triage": set(), "admin": ALL},
    "console_triage": {"own": set(), "other": set(), "triage": {AB}, "admin": SUGGESTED},
}


@dataclass
class World:
    tickets: dict[str, Ticket] = field(default_factory=dict)
    suggestions: dict[frozenset[str], int] = field(default_factory=dict)

    def key(self, ticket_id: object) -> str | None:
        return next((k for k, t in self.tickets.items() if t.id == ticket_id), None)

    def pair(self, one: object, other: object) -> frozenset[str]:
        keys = {self.key(one), self.key(other)}
        assert None not in keys, (one, other)
        return frozenset(keys)  # type: ignore[arg-type]


async def build_world(db) -> World:
    world = World()
    places = {"A": "roads", "A2": "roads", "A3": "roads", "B": "zhkh", "B2": "zhkh"}
    places |= {"M": "zhkh", "R": "zhkh"}
    for key, dept in places.items():
        world.tickets[key] = await make_ticket(db, department_code=dept, category_code="roads")
    t = {k: v.id for k, v in world.tickets.items()}
    async with db.sessionmaker() as session:
        rows = {
            k: (await session.exec(select(Ticket).where(Ticket.id == i))).one()
            for k, i in t.items()
        }
        rows["A"].repeat_of_id = t["B"]
        rows["R"].repeat_of_id = t["A"]
        rows["B2"].repeat_of_id = t["B"]
        for merged, main in (("A2", "B"), ("M", "A")):
            rows[merged].status, rows[merged].duplicate_of_id = Status.merged, t[main]
        for one, other in (("A", "B"), ("A", "A3")):
            row = DuplicateSuggestion(
                ticket_id=t[one], candidate_id=t[other], score=0.8, reasons={}
            )
            session.add(row)
            await session.flush()
            world.suggestions[frozenset((one, other))] = row.id  # type: ignore[assignment]
        # The timeline names the other end the way detection and merging do.
        for on, kind, key, other in (
            ("A", "duplicate_suggested", "candidate", "B"),
            ("A", "duplicate_suggested", "candidate", "A3"),
            ("A", "repeat_flagged", "repeat_of", "B"),
            ("R", "repeat_flagged", "repeat_of", "A"),
            ("B2", "repeat_flagged", "repeat_of", "B"),
            ("A2", "status_changed", "duplicate_of", "B"),
            ("M", "status_changed", "duplicate_of", "A"),
            ("A", "duplicate_linked", "duplicate", "M"),
            ("B", "duplicate_linked", "duplicate", "A2"),
        ):
            record_event(session, rows[on], actor="test", type=kind, **{key: t[other]})
        await session.commit()
    async with db.sessionmaker() as session:
        for k in world.tickets:
            world.tickets[k] = (await session.exec(select(Ticket).where(Ticket.id == t[k]))).one()
    return world


async def api_viewer(db, viewer: str) -> dict[str, str]:
    role, dept = VIEWERS[viewer]
    return auth(await make_key(db, role, dept))


async def console_viewer(db, app, viewer: str) -> httpx.AsyncClient:
    role, dept = VIEWERS[viewer]
    async with db.sessionmaker() as session:
        await create_user(
            session, login=f"v-{viewer}", password=PASSWORD, role=role, department_code=dept
        )
        await session.commit()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    page = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = await client.post(
        "/console/login",
        data={"login": f"v-{viewer}", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, r.text
    return client


def named_in(world: World, html: str, here: str | None) -> set[str]:
    return {k for k, t in world.tickets.items() if k != here and t.number in html}


async def exposed(surface: str, world: World, db, app, client, viewer: str) -> set[frozenset[str]]:
    """The links a surface names to the viewer."""
    found: set[frozenset[str]] = set()
    if surface.startswith("api_"):
        headers = await api_viewer(db, viewer)
        if surface == "api_ticket":
            for t in world.tickets.values():
                r = await client.get(f"/api/v1/tickets/{t.id}", headers=headers)
                assert r.status_code in (200, 404), r.text
                if r.status_code == 200:
                    body = r.json()
                    found |= {
                        world.pair(t.id, body[f]) for f in ("duplicate_of", "repeat_of") if body[f]
                    }
        elif surface == "api_list":
            r = await client.get("/api/v1/tickets", params={"limit": 200}, headers=headers)
            assert r.status_code == 200, r.text
            for item in r.json()["items"]:
                found |= {
                    world.pair(item["id"], item[f])
                    for f in ("duplicate_of", "repeat_of")
                    if item[f]
                }
        elif surface == "api_events":
            for t in world.tickets.values():
                r = await client.get(f"/api/v1/tickets/{t.id}/events", headers=headers)
                assert r.status_code in (200, 404), r.text
                for event in r.json() if r.status_code == 200 else []:
                    for k in ("candidate", "repeat_of", "duplicate_of", "duplicate"):
                        if event["data"].get(k) is not None:
                            found.add(world.pair(t.id, event["data"][k]))
        else:
            r = await client.get("/api/v1/duplicate-suggestions", headers=headers)
            assert r.status_code == 200, r.text
            found |= {world.pair(s["ticket_id"], s["candidate_id"]) for s in r.json()}
        return found
    browser = await console_viewer(db, app, viewer)
    try:
        if surface == "console_ticket":
            for key, t in world.tickets.items():
                r = await browser.get(f"/console/tickets/{t.id}")
                assert r.status_code in (200, 404), r.text
                if r.status_code == 200:
                    found |= {frozenset((key, k)) for k in named_in(world, r.text, key)}
        else:
            r = await browser.get("/console/triage")
            assert r.status_code in (200, 403), r.text  # 403: «Разбор вам недоступен»
            section = r.text.split("Возможные дубликаты", 1)[-1] if r.status_code == 200 else ""
            for row in section.split('<li class="ticket-row">')[1:]:
                names = named_in(world, row, None)
                assert len(names) == 2, row
                found.add(frozenset(names))
    finally:
        await browser.aclose()
    return found


@pytest.mark.parametrize("viewer", list(VIEWERS))
@pytest.mark.parametrize("surface", list(EXPECTED))
async def test_a_link_is_named_only_to_who_sees_both_tickets(db, app, client, surface, viewer):
    world = await build_world(db)
    assert await exposed(surface, world, db, app, client, viewer) == EXPECTED[surface][viewer]


async def test_triage_sees_both_sides_of_a_suggestion_across_departments(db, app):
    world = await build_world(db)
    browser = await console_viewer(db, app, "triage")
    page = (await browser.get("/console/triage")).text
    await browser.aclose()
    a, b = world.tickets["A"], world.tickets["B"]
    assert a.text[:160] in page and b.text[:160] in page
    assert world.tickets["A3"].text[:160] not in page  # inside roads: roads decides
    # Triage does not open either department's page: the numbers are not links.
    assert f'href="/console/tickets/{a.id}"' not in page
    assert f'href="/console/tickets/{b.id}"' not in page


async def test_only_who_sees_a_suggestion_may_dismiss_it(db, client):
    world = await build_world(db)
    across, inside = world.suggestions[AB], world.suggestions[AA3]
    roads, zhkh = await api_viewer(db, "own"), await api_viewer(db, "other")
    for headers in (roads, zhkh):
        r = await client.post(f"/api/v1/duplicate-suggestions/{across}/dismiss", headers=headers)
        assert r.status_code == 404
    r = await client.post(f"/api/v1/duplicate-suggestions/{inside}/dismiss", headers=zhkh)
    assert r.status_code == 404
    r = await client.post(f"/api/v1/duplicate-suggestions/{inside}/dismiss", headers=roads)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    triage = await api_viewer(db, "triage")
    r = await client.post(f"/api/v1/duplicate-suggestions/{across}/dismiss", headers=triage)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"


async def test_a_department_cannot_merge_into_another_departments_ticket(db, client):
    world = await build_world(db)
    a, b = world.tickets["A"], world.tickets["B"]
    roads = await api_viewer(db, "own")
    r = await client.post(f"/api/v1/tickets/{a.id}/merge", json={"into": b.id}, headers=roads)
    assert r.status_code == 422 and r.json()["field"] == "into"
    zhkh = await api_viewer(db, "other")
    r = await client.post(f"/api/v1/tickets/{a.id}/merge", json={"into": b.id}, headers=zhkh)
    assert r.status_code == 404


async def test_triage_merges_a_suggested_pair_across_departments(db, client):
    world = await build_world(db)
    a, b, a3 = world.tickets["A"], world.tickets["B"], world.tickets["A3"]
    triage = await api_viewer(db, "triage")
    # Not a suggested pair across departments: triage sees neither ticket.
    r = await client.post(f"/api/v1/tickets/{a.id}/merge", json={"into": a3.id}, headers=triage)
    assert r.status_code == 404
    r = await client.post(f"/api/v1/tickets/{a.id}/merge", json={"into": b.id}, headers=triage)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "merged" and r.json()["department"] == "zhkh"
