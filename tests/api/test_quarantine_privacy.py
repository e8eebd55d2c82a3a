"""The quarantine shows admins the body with personal data masked, like every other admin view;
replay still uses the stored body; the raw body is one explicit, audited action."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import select

from app.main import create_app
from app.models.audit import AccessAudit
from tests.support.builders import auth, make_key
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, webhook_settings

REASON = "заявитель просит уточнить, что ушло в ПОС"


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def quarantine(client, payload, url=POS_URL) -> int:
    body = encode(payload)
    r = await client.post(url, content=body, headers=signed(body))
    assert r.status_code == 422, r.text
    return int(r.json()["delivery_id"])


def broken_pos() -> dict:
    message = sample("pos_message.json")
    del message["description"]  # invalid: quarantined
    message["location"] = "звонить +7 924 111-22-33, писать o.petrova@example.ru"
    message["applicant"]["postAddress"] = "692245, г. Спасск-Дальний, ул. Ленинская, д. 5, кв. 7"
    message["history"][0]["createdBy"] = {"surname": "Сидоров", "name": "Пётр", "position": "x"}
    return message


async def test_personal_data_is_masked_in_the_list(db, hooks):
    admin = auth(await make_key(db, "admin"))
    await quarantine(hooks, broken_pos())
    incident = sample("im_incident.json")
    incident["text"] = ""  # invalid
    await quarantine(hooks, incident, IM_URL)
    r = await hooks.get("/api/v1/quarantine", headers=admin)
    assert r.status_code == 200
    im, pos = (json.loads(item["body"]) for item in r.json()["items"])
    for secret in ("Петрова", "Ольга", "Игоревна", "o.petrova", "79240000000", "1000000001"):
        assert secret not in r.text
    assert "111-22-33" not in r.text and "Ленинская" not in r.text and "Сидоров" not in r.text
    assert pos["applicant"] == {
        "epguId": "***",
        "surname": "П.",
        "name": "О.",
        "patronymic": "И.",
        "email": "o***@example.ru",
        "phone": "***00",
        "postAddress": "***",
    }
    assert pos["location"] == "звонить [phone], писать [email]"
    # What is not personal stays as sent: the problem can still be diagnosed.
    assert pos["subjectName"] == "Мусор" and pos["posId"] == 563007235
    assert im["author"]["name"] != sample("im_incident.json")["author"]["name"]
    assert im["author"]["profile_url"] == "***"


async def test_a_body_that_is_not_json_is_withheld(db, hooks):
    admin = auth(await make_key(db, "admin"))
    body = (
        b'{"posId": 1, "applicant": {"surname": "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2'
    )
    r = await hooks.post(POS_URL, content=body, headers=signed(body))
    assert r.status_code == 422
    (item,) = (await hooks.get("/api/v1/quarantine", headers=admin)).json()["items"]
    assert item["body"] is None


async def test_replay_uses_the_stored_body_not_the_masked_one(db, hooks):
    admin = auth(await make_key(db, "admin"))
    message = broken_pos()
    delivery = await quarantine(hooks, message)
    fixed = message | {"description": "Во дворе не вывозят мусор (текст восстановлен)"}
    r = await hooks.post(
        f"/api/v1/quarantine/{delivery}/replay", headers=admin, json={"body": fixed}
    )
    assert r.status_code == 200, r.text
    ticket = await hooks.get(f"/api/v1/tickets/{r.json()['ticket_id']}", headers=admin)
    assert ticket.json()["applicant"]["masked"] is True
    # The department sees the citizen as sent: the masking was only in the admin's view.
    department = auth(await make_key(db, "operator", ticket.json()["department"]))
    own = await hooks.get(f"/api/v1/tickets/{r.json()['ticket_id']}", headers=department)
    assert own.json()["applicant"]["full_name"] == "Петрова Ольга Игоревна"


async def test_the_raw_body_is_an_audited_action_for_admins(db, hooks):
    admin_token = await make_key(db, "admin")
    admin = auth(admin_token)
    message = broken_pos()
    delivery = await quarantine(hooks, message)
    url = f"/api/v1/quarantine/{delivery}/raw-body"
    operator = auth(await make_key(db, "operator", "zhkh"))
    assert (await hooks.post(url, headers=operator, json={"reason": REASON})).status_code == 403
    assert (await hooks.post(url, headers=admin, json={})).status_code == 422  # no reason
    assert (await hooks.post(url, headers=admin, json={"reason": "надо"})).status_code == 422
    missing = f"/api/v1/quarantine/{delivery + 1000}/raw-body"
    assert (await hooks.post(missing, headers=admin, json={"reason": REASON})).status_code == 404
    async with db.sessionmaker() as session:
        assert (await session.exec(select(AccessAudit))).all() == []

    r = await hooks.post(url, headers=admin, json={"reason": REASON})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert json.loads(r.json()["body"]) == message  # exactly as the source sent it
    async with db.sessionmaker() as session:
        (audit,) = (await session.exec(select(AccessAudit))).all()
    assert audit.id == r.json()["audit_id"]
    assert audit.action == "quarantine_raw_body"
    assert audit.subject == f"inbound_delivery:{delivery}"
    assert audit.reason == REASON and audit.actor.startswith("key:")
