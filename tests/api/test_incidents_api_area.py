"""An incident's area over the API: the houses only for whoever sees all its tickets (as the
console shows addresses), the area following the tickets still linked, and an expected
resolution time that is a real one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.main import create_app
from tests.support.builders import auth, make_key
from tests.support.incidents import run_detection, wave, wave_ticket
from tests.support.intake import settling
from tests.support.webhooks import webhook_settings

URL = "/api/v1/incidents"


@pytest.fixture
async def api(db):
    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=settling(db)
    ) as c:
        yield c


async def test_houses_only_of_the_tickets_the_viewer_sees(api, db):
    """The wave's chat-bot reports (houses 3 and 6) go to the administrative commission; the
    housing department sees its own houses only, the control centre (which sees the incident
    but none of the tickets) none, an admin all; the streets are for everyone."""
    await wave(db, 8, now=datetime.now(UTC))
    [incident] = await run_detection(db, datetime.now(UTC))
    path = f"{URL}/{incident.id}"
    zhkh = auth(await make_key(db, "operator", "zhkh"))
    control = auth(await make_key(db, "operator", "press"))  # the triage department
    admin = auth(await make_key(db, "admin"))
    own = ["ленин 1", "ленин 2", "ленин 4", "ленин 5", "ленин 7", "ленин 8"]
    for key, houses in ((zhkh, own), (control, []), (admin, [f"ленин {n}" for n in range(1, 9)])):
        detail = await api.get(path, headers=key)
        assert detail.status_code == 200
        assert detail.json()["houses"] == houses and detail.json()["streets"] == ["ленин"]
        [listed] = (await api.get(URL, headers=key)).json()["items"]
        assert listed["houses"] == houses


async def test_unlinking_shrinks_the_area_to_the_tickets_left(api, db):
    now = datetime.now(UTC)
    tickets = await wave(db, 8, now=now)
    [incident] = await run_detection(db, now)
    zhkh = auth(await make_key(db, "operator", "zhkh"))
    path = f"{URL}/{incident.id}"
    mira = await wave_ticket(db, 21, at=now, address="ул. Мира, д. 9")
    r = await api.post(f"{path}/tickets", headers=zhkh, json={"ticket_ids": [mira.id]})
    assert r.status_code == 200, r.text
    assert "мир" in r.json()["streets"] and "мир 9" in r.json()["houses"]
    r = await api.post(
        f"{path}/tickets/unlink", headers=zhkh, json={"ticket_ids": [mira.id, tickets[0].id]}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["streets"] == ["ленин"]
    assert "мир 9" not in body["houses"] and "ленин 1" not in body["houses"]
    assert "ленин 2" in body["houses"]


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00Z",
        (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        (datetime.now(UTC) + timedelta(days=400)).isoformat(),
    ],
)
async def test_an_expected_resolution_far_off_is_refused(api, db, when):
    admin = auth(await make_key(db, "admin"))
    body = {"title": "Нет воды", "category_code": "water", "expected_resolution_at": when}
    r = await api.post(URL, headers=admin, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "expected_resolution_at"
    soon = (datetime.now(UTC) + timedelta(hours=6)).isoformat()
    r = await api.post(URL, headers=admin, json={**body, "expected_resolution_at": soon})
    assert r.status_code == 201, r.text
    told = await api.post(
        f"{URL}/{r.json()['id']}/messages",
        headers=admin,
        json={"kind": "interim", "text": "Бригада на месте", "expected_resolution_at": when},
    )
    assert told.status_code == 422 and told.json()["field"] == "expected_resolution_at"


async def test_an_expected_resolution_without_its_offset_is_refused(api, db):
    """«2026-11-30T18:00:00» is ten hours apart in UTC and in the city: the offset is asked for."""
    admin = auth(await make_key(db, "admin"))
    naive = (datetime.now(UTC) + timedelta(hours=6)).replace(tzinfo=None).isoformat()
    body = {"title": "Нет воды", "category_code": "water", "expected_resolution_at": naive}
    r = await api.post(URL, headers=admin, json=body)
    assert r.status_code == 422, r.text
    assert any(e["field"].endswith("expected_resolution_at") for e in r.json()["errors"])
