"""``/api/v1/incidents``: who sees an incident, confirm/dismiss/split/link/unlink, and the one
message fanned out to every linked ticket through its own source, exactly once each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from app.incidents import fanout
from app.incidents.links import linked_tickets
from app.main import create_app
from app.models.incidents import Incident, IncidentMessage
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key, make_ticket
from tests.support.incidents import outbox_of, run_detection, wave, wave_ticket
from tests.support.intake import settling
from tests.support.webhooks import IM_URL, PROBLEM, encode, sample, signed, webhook_settings

URL = "/api/v1/incidents"


@pytest.fixture
async def api(db):
    app = create_app(db=db, settings=webhook_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=settling(db)
    ) as c:
        yield c


@pytest.fixture
async def zhkh(db):
    return auth(await make_key(db, "operator", "zhkh"))


async def _suspected(db, count: int = 9) -> tuple[Incident, list[Ticket]]:
    now = datetime.now(UTC)
    tickets = await wave(db, count, now=now)
    [incident] = await run_detection(db, now)
    return incident, tickets


async def _tickets(db, ids) -> dict[int, Ticket]:
    async with db.sessionmaker() as session:
        rows = await session.exec(select(Ticket).where(Ticket.id.in_(list(ids))))  # type: ignore[union-attr]
        return {t.id: t for t in rows.all()}


async def _im_post(api, address: str) -> httpx.Response:
    payload = sample("im_incident.json")
    now = datetime.now(UTC).isoformat()
    payload.update(
        id=f"im-{uuid.uuid4().hex[:10]}",
        created_at=now,
        updated_at=now,
        theme_group="ЖКХ",
        theme="Водоснабжение",
        importance="Высокая",
        text="Второй час нет воды во всём доме, когда дадут?",
        location={"address": address},
    )
    body = encode(payload)
    return await api.post(IM_URL, content=body, headers=signed(body))


class TestVisibility:
    async def test_the_department_of_the_tickets_sees_it_others_do_not(self, api, db, zhkh):
        incident, tickets = await _suspected(db)
        listed = await api.get(URL, headers=zhkh, params={"status": "suspected"})
        assert listed.status_code == 200
        assert [i["id"] for i in listed.json()["items"]] == [incident.id]
        detail = await api.get(f"{URL}/{incident.id}", headers=zhkh)
        assert detail.status_code == 200 and detail.headers["ETag"]
        body = detail.json()
        assert {t["ticket_id"] for t in body["tickets"]} == {t.id for t in tickets}
        assert {t["linked_by"] for t in body["tickets"]} == {"rule"}
        assert {t["source"] for t in body["tickets"]} == {
            "incident_management",
            "feedback_platform",
            "chatbot",
        }

        roads = auth(await make_key(db, "operator", "roads"))
        assert (await api.get(URL, headers=roads)).json()["items"] == []
        hidden = await api.get(f"{URL}/{incident.id}", headers=roads)
        assert hidden.status_code == 404
        assert hidden.headers["content-type"].startswith(PROBLEM)
        # The control centre (the triage department) and admins see every incident.
        for role, department in (("operator", "press"), ("admin", None)):
            key = auth(await make_key(db, role, department))
            assert (await api.get(f"{URL}/{incident.id}", headers=key)).status_code == 200
        integration = auth(await make_key(db, "integration", "zhkh"))
        refused = await api.get(URL, headers=integration)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert (await api.get(URL)).status_code == 401


class TestLifecycle:
    async def test_confirm_needs_a_current_etag_and_a_suspected_incident(self, api, db, zhkh):
        incident, _ = await _suspected(db)
        path = f"{URL}/{incident.id}"
        early = await api.post(
            f"{path}/messages", headers=zhkh, json={"kind": "interim", "text": "x"}
        )
        assert early.status_code == 409, early.text
        assert early.headers["content-type"].startswith(PROBLEM)
        stale = await api.post(
            f"{path}/confirm", headers={**zhkh, "If-Match": '"incident-1-0"'}, json={}
        )
        assert stale.status_code == 412
        etag = (await api.get(path, headers=zhkh)).headers["ETag"]
        ok = await api.post(
            f"{path}/confirm",
            headers={**zhkh, "If-Match": etag},
            json={"title": "Авария водопровода на Ленина"},
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "confirmed" and ok.json()["confirmed_by"].startswith("key:")
        again = await api.post(f"{path}/confirm", headers=zhkh, json={})
        assert again.status_code == 409
        assert again.json()["allowed_from"] == ["suspected"]
        bad = await api.post(f"{path}/confirm", headers=zhkh, json={"nope": 1})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)

    async def test_split_moves_the_chosen_tickets_and_dismiss_releases_them(self, api, db, zhkh):
        incident, tickets = await _suspected(db)
        moving = [tickets[0].id, tickets[1].id]
        split = await api.post(
            f"{URL}/{incident.id}/split", headers=zhkh, json={"ticket_ids": moving}
        )
        assert split.status_code == 201, split.text
        child = split.json()
        assert child["split_from_id"] == incident.id and child["status"] == "suspected"
        assert {t["ticket_id"] for t in child["tickets"]} == set(moving)
        assert {t["linked_by"] for t in child["tickets"]} == {"operator"}
        parent = (await api.get(f"{URL}/{incident.id}", headers=zhkh)).json()
        assert parent["ticket_count"] == len(tickets) - 2
        active = {t["ticket_id"] for t in parent["tickets"] if t["unlinked_at"] is None}
        assert active == {t.id for t in tickets[2:]}
        everything = [t.id for t in tickets[2:]]
        whole = await api.post(
            f"{URL}/{incident.id}/split", headers=zhkh, json={"ticket_ids": everything}
        )
        assert whole.status_code == 422

        dismissed = await api.post(
            f"{URL}/{child['id']}/dismiss", headers=zhkh, json={"reason": "другая авария"}
        )
        assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
        assert dismissed.json()["ticket_count"] == 0
        assert dismissed.json()["closed_reason"] == "другая авария"
        # Released tickets may be linked elsewhere by hand.
        relinked = await api.post(
            f"{URL}/{incident.id}/tickets", headers=zhkh, json={"ticket_ids": moving}
        )
        assert relinked.status_code == 200
        assert relinked.json()["ticket_count"] == len(tickets)

    async def test_an_operator_opens_one_and_a_ticket_in_another_is_a_conflict(self, api, db, zhkh):
        incident, tickets = await _suspected(db)
        created = await api.post(
            URL,
            headers=zhkh,
            json={"title": "Отключение воды", "category_code": "water", "district_code": "center"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "confirmed"
        taken = await api.post(
            f"{URL}/{created.json()['id']}/tickets",
            headers=zhkh,
            json={"ticket_ids": [tickets[0].id]},
        )
        assert taken.status_code == 409
        assert taken.json()["tickets"] == {str(tickets[0].id): incident.id}
        roads_ticket = await make_ticket(db, category_code="roads", department_code="roads")
        unseen = await api.post(
            f"{URL}/{created.json()['id']}/tickets",
            headers=zhkh,
            json={"ticket_ids": [roads_ticket.id]},
        )
        assert unseen.status_code == 404


class TestOneAnswerForAll:
    async def test_a_message_reaches_every_ticket_once_through_its_own_source(self, api, db, zhkh):
        incident, tickets = await _suspected(db)
        ids = [t.id for t in tickets]
        path = f"{URL}/{incident.id}"
        assert (await api.post(f"{path}/confirm", headers=zhkh, json={})).status_code == 200
        interim = "Аварийная бригада на месте, подача воды до 18:00"
        sent = await api.post(
            f"{path}/messages", headers=zhkh, json={"kind": "interim", "text": interim}
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["message"]["delivered"] == len(tickets)
        assert sent.json()["incident"]["status"] == "resolving"

        rows = await outbox_of(db, ids)
        assert sorted(r.ticket_id for r in rows) == sorted(ids)  # one row per ticket
        targets = {r.ticket_id: r.target for r in rows}
        by_source = {t.id: t.source for t in tickets}
        expected = {
            "incident_management": "incident_management",
            "feedback_platform": "feedback_platform",
            "chatbot": "telegram",
        }
        assert all(targets[i] == expected[by_source[i]] for i in ids)
        assert {r.payload["text"] for r in rows} == {interim}
        assert len({r.idempotency_id for r in rows}) == len(ids)
        stored = await _tickets(db, ids)
        assert all(t.first_responded_at is not None for t in stored.values())

        # The same message again (a retried fan-out) sends nothing more.
        async with db.sessionmaker() as session:
            inc = await session.get(Incident, incident.id)
            message = (await session.exec(select(IncidentMessage))).one()
            again = await fanout.deliver(
                session,
                inc,
                message,
                await linked_tickets(session, inc),
                actor="t",
                now=datetime.now(UTC),
            )
            await session.commit()
        assert sum(again.values()) == 0
        assert len(await outbox_of(db, ids)) == len(ids)

        # A post arriving now joins through the intake and gets the current message at once.
        posted = await _im_post(api, "г. Спасск-Дальний, ул. Ленина, 90")
        assert posted.status_code == 202
        detail = (await api.get(path, headers=zhkh)).json()
        late = [t for t in detail["tickets"] if t["ticket_id"] not in ids]
        assert len(late) == 1 and late[0]["linked_by"] == "rule"
        late_id = late[0]["ticket_id"]
        [late_row] = await outbox_of(db, [late_id])
        assert late_row.payload["text"] == interim and late_row.target == "incident_management"

        # An unlinked ticket keeps the interim answer and does not get the final one.
        gone = ids[0]
        out = await api.post(f"{path}/tickets/unlink", headers=zhkh, json={"ticket_ids": [gone]})
        assert out.status_code == 200
        final = await api.post(
            f"{path}/messages",
            headers=zhkh,
            json={"kind": "final", "text": "Водоснабжение восстановлено"},
        )
        assert final.status_code == 201
        assert final.json()["incident"]["status"] == "resolved"
        assert final.json()["message"]["delivered"] == len(ids)  # 8 of the wave + the late post
        assert [r.payload["text"] for r in await outbox_of(db, [gone])] == [interim]
        answered = await _tickets(db, [*ids[1:], late_id])
        assert {t.status for t in answered.values()} == {"answered"}
        closed = await api.post(f"{path}/tickets", headers=zhkh, json={"ticket_ids": [gone]})
        assert closed.status_code == 409

    async def test_the_open_incidents_gauge_and_the_link_counter(self, api, db, zhkh):
        await _suspected(db)
        text = (await api.get("/metrics", params={"scope": "business"})).text
        assert 'appeals_incidents_open{status="suspected"} 1.0' in text
        assert 'appeals_incidents_open{status="confirmed"} 0.0' in text
        assert 'appeals_incident_tickets_total{how="rule"} 9.0' in text
        assert 'appeals_incident_tickets_total{how="operator"} 0.0' in text


async def test_a_late_ticket_linked_by_hand_gets_the_latest_message(api, db, zhkh):
    incident, _ = await _suspected(db)
    path = f"{URL}/{incident.id}"
    await api.post(f"{path}/confirm", headers=zhkh, json={})
    await api.post(f"{path}/messages", headers=zhkh, json={"kind": "interim", "text": "первое"})
    await api.post(f"{path}/messages", headers=zhkh, json={"kind": "interim", "text": "второе"})
    far = await wave_ticket(
        db,
        3,
        at=datetime.now(UTC) - timedelta(minutes=1),
        district_code="east",
        address="ул. Приморская, 3",
    )
    linked = await api.post(f"{path}/tickets", headers=zhkh, json={"ticket_ids": [far.id]})
    assert linked.status_code == 200
    assert [r.payload["text"] for r in await outbox_of(db, [far.id])] == ["второе"]
