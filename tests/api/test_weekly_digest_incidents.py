"""The week's mass incidents in the digest «Глава в ответе»: title, area (district and streets,
never a house or a flat), tickets by source, status, the public message (scrubbed) and the time
from the first ticket to the first message; a dismissed incident is no incident; the draft
paragraph mentions them."""

from __future__ import annotations

from datetime import timedelta

from app.models.common import Role
from app.models.incidents import Incident
from tests.api.test_console import make_user, sign_in
from tests.api.test_weekly_digest import day
from tests.support.builders import auth, make_key
from tests.support.incidents import wave_ticket

URL = "/api/v1/reports/weekly-digest"
MESSAGE = "Авария на водоводе устранена, вода подана. Справки: тел. 8 924 555 12 34."


async def _incident(client, admin, tickets, title: str) -> int:
    body = {"title": title, "category_code": "water", "district_code": "center"}
    body["ticket_ids"] = [t.id for t in tickets]
    r = await client.post("/api/v1/incidents", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_the_weeks_incidents_with_their_message_and_first_answer_time(
    client, db, app
) -> None:
    first = day(2)
    tickets = [
        await wave_ticket(db, n, at=first + timedelta(minutes=5 * n)) for n in range(5)
    ]  # IM, ПОС, chat-bot, IM, ПОС on ул. Ленина, д. 1–5
    others = [await wave_ticket(db, n, at=first, address=f"ул. Мира, д. {n}") for n in (7, 8)]
    admin = auth(await make_key(db, "admin"))
    app.state.clock = lambda: first + timedelta(hours=1)
    water = await _incident(client, admin, tickets, "Нет воды: Центральный район")
    wrong = await _incident(client, admin, others, "Не одна проблема")
    app.state.clock = lambda: first + timedelta(minutes=95)
    r = await client.post(
        f"/api/v1/incidents/{water}/messages", json={"kind": "final", "text": MESSAGE},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/incidents/{wrong}/dismiss", json={}, headers=admin)
    assert r.status_code == 200, r.text

    app.state.clock = lambda: day(9)
    press = auth(await make_key(db, "manager", "press"))
    r = await client.get(URL, params={"week": "2026-W47"}, headers=press)
    assert r.status_code == 200, r.text
    [incident] = r.json()["incidents"]  # the dismissed one is not an incident
    assert incident["title"] == "Нет воды: Центральный район"
    assert incident["area"] == "Центральный, ул. Ленина"  # never a house or a flat
    assert incident["tickets"] == 5
    assert incident["by_source"] == {"соцсети": 2, "ПОС (Госуслуги)": 2, "чат-бот": 1}
    assert incident["status"] == "устранён"
    assert incident["first_message_minutes"] == 95
    assert "вода подана" in incident["message"] and "555 12 34" not in incident["message"]

    md = await client.get(URL, params={"week": "2026-W47", "format": "md"}, headers=press)
    text = md.text
    assert "## Массовые инциденты недели" in text
    assert "- **Нет воды: Центральный район** (" in text and "5 обращений" in text
    assert "первое сообщение жителям: 1 ч 35 мин" in text
    assert "Не одна проблема" not in text and "555 12 34" not in text
    draft = r.json()["draft"]
    assert "На неделе была 1 массовая проблема" in draft
    assert "через 1 ч 35 мин после первого обращения" in draft

    await make_user(db, "press1", Role.manager, "press")
    await sign_in(client, "press1")
    page = (await client.get("/console/digest", params={"week": "2026-W47"})).text
    assert "Массовые инциденты недели" in page and "Нет воды: Центральный район" in page
    assert "1 ч 35 мин" in page and "ПОС (Госуслуги) — 2" in page and "555 12 34" not in page

    before = await client.get(URL, params={"week": "2026-W46"}, headers=press)
    assert before.json()["incidents"] == []
    assert "массов" not in before.json()["draft"]


async def test_a_department_sees_only_incidents_of_its_tickets(client, db, app) -> None:
    tickets = [await wave_ticket(db, n, at=day(1)) for n in (0, 3)]  # IM posts: ЖКХ
    admin = auth(await make_key(db, "admin"))
    app.state.clock = lambda: day(1) + timedelta(minutes=30)
    await _incident(client, admin, tickets, "Нет воды на Ленина")
    app.state.clock = lambda: day(9)
    zhkh = auth(await make_key(db, "manager", "zhkh"))
    roads = auth(await make_key(db, "manager", "roads"))
    own = await client.get(URL, params={"week": "2026-W47"}, headers=zhkh)
    [incident] = own.json()["incidents"]
    assert incident["first_message_minutes"] is None and incident["status"] != "устранён"
    other = await client.get(URL, params={"week": "2026-W47"}, headers=roads)
    assert other.json()["incidents"] == []


async def test_all_incidents_are_counted_and_one_answer_claimed_only_where_given(
    client, db, app
) -> None:
    """Twelve incidents (more than the ten listed): three still suspected, two with a
    message. The draft counts all twelve, says how many are confirmed, and claims one answer
    for all only for the two; the streets are shown as the tickets wrote them."""
    admin = auth(await make_key(db, "admin"))
    address = "Приморский край, г. Спасск-Дальний, ул. Красногвардейская, д. 12"
    written = [
        await wave_ticket(db, n, at=day(1), address=address if n else "ул. Советская, 14")
        for n in (0, 1, 3)
    ]
    app.state.clock = lambda: day(1) + timedelta(minutes=30)
    ids = [await _incident(client, admin, written, "Нет воды: Красногвардейская")]
    ids += [await _incident(client, admin, [], f"Проблема {n}") for n in range(11)]
    for incident_id in ids[:2]:
        r = await client.post(
            f"/api/v1/incidents/{incident_id}/messages",
            json={"kind": "interim", "text": "Бригада на месте"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
    async with db.sessionmaker() as session:
        for incident_id in ids[-3:]:
            incident = await session.get(Incident, incident_id)
            incident.status = "suspected"
        await session.commit()

    app.state.clock = lambda: day(9)
    r = await client.get(URL, params={"week": "2026-W47"}, headers=admin)
    body = r.json()
    assert len(body["incidents"]) == 10
    assert body["incident_totals"] == {
        "total": 12,
        "confirmed": 9,
        "checking": 3,
        "with_message": 2,
    }
    draft = body["draft"]
    assert "На неделе было 12 массовых проблем (подтверждено 9, ещё проверяется 3)" in draft
    assert "По 2 из них каждому, кто написал, мы ответили одним сообщением" in draft
    assert "Каждому, кто написал" not in draft
    [big] = [i for i in body["incidents"] if i["title"] == "Нет воды: Красногвардейская"]
    assert big["area"] == "Центральный, ул. Красногвардейская, ул. Советская"
    md = (await client.get(URL, params={"week": "2026-W47", "format": "md"}, headers=admin)).text
    assert "Всего 12: подтверждено 9, проверяется 3, с сообщением жителям 2" in md
    section = md.split("## Массовые инциденты недели")[1].split("\n## ")[0]
    for lemma in ("Красногвардейский", "Советский", "Приморский край", "д. 12"):
        assert lemma not in section and lemma not in big["area"]
