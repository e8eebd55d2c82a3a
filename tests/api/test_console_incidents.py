"""Mass incidents in the console: the control centre's list (suspected on top, live counts),
one incident's page and its forms — confirm, publish (a final message needs its box), split,
unlink, link by number, dismiss — and the ticket page's link to its incident."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import select

from app.models.common import Role
from app.models.incidents import Incident, IncidentTicket
from tests.api.test_console import csrf_of, make_user, sign_in
from tests.support.incidents import run_detection, wave, wave_ticket


async def _suspected(db, count: int = 9):
    now = datetime.now(UTC)
    tickets = await wave(db, count, now=now)
    [incident] = await run_detection(db, now)
    return incident, tickets


async def _post(client, path: str, page: str, data: dict):
    token = csrf_of((await client.get(page)).text)
    return await client.post(path, data={**data, "csrf_token": token})


async def _incident(db, incident_id: int) -> Incident:
    async with db.sessionmaker() as session:
        found = await session.get(Incident, incident_id)
        assert found is not None
        return found


async def test_the_list_puts_suspected_first_and_refreshes_itself(client, db) -> None:
    incident, _ = await _suspected(db)
    await make_user(db, "zhkh1", Role.operator, "zhkh")
    assert (await sign_in(client, "zhkh1")).status_code == 303
    home = await client.get("/console")
    assert 'href="/console/incidents"' in home.text
    page = await client.get("/console/incidents")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<meta http-equiv="refresh" content="15">' in html
    assert f'href="/console/incidents/{incident.id}"' in html
    assert "предполагаемый" in html and '<span class="count">9</span>' in html
    assert incident.title in html  # «Водоснабжение — <district>», by names
    area = re.search(r"<td>([^<]*Ленин[^<]*)</td>", html)
    assert area and area[1].endswith("ул. Ленина") and "center" not in area[1], html
    assert "д. 3" not in html  # never a house on the list


async def test_another_department_neither_lists_nor_opens_it(client, db) -> None:
    incident, _ = await _suspected(db)
    await make_user(db, "roads1", Role.operator, "roads")
    await sign_in(client, "roads1")
    listing = await client.get("/console/incidents")
    assert listing.status_code == 200
    assert f"/console/incidents/{incident.id}" not in listing.text
    assert "Открытых инцидентов нет" in listing.text
    page = await client.get(f"/console/incidents/{incident.id}")
    assert page.status_code == 404


async def test_the_control_centre_sees_it_without_addresses(client, db) -> None:
    incident, tickets = await _suspected(db)
    await make_user(db, "press1", Role.manager, "press")
    await sign_in(client, "press1")
    page = await client.get(f"/console/incidents/{incident.id}")
    assert page.status_code == 200
    assert tickets[0].number in page.text
    assert "ул. Ленина, д. 1" not in page.text  # not its ticket: no address, no link
    assert f'href="/console/tickets/{tickets[0].id}"' not in page.text


async def test_confirm_publish_and_the_ticket_page_link(client, db) -> None:
    incident, tickets = await _suspected(db)
    await make_user(db, "zhkh1", Role.operator, "zhkh")
    await sign_in(client, "zhkh1")
    url = f"/console/incidents/{incident.id}"
    page = await client.get(url)
    assert "ул. Ленина, д. 1" in page.text and "автоматически" in page.text
    assert re.search(r"<dt>Район, улицы</dt><dd>[^<]*ул\. Ленина</dd>", page.text)
    assert "Сообщения жителям" in page.text and 'action="' + url + '/message"' not in page.text

    early = await _post(client, url + "/message", url, {"kind": "interim", "text": "Чиним"})
    assert early.status_code == 422 and "сначала подтвердите" in early.text

    done = await _post(client, url + "/confirm", url, {"title": "Нет воды на Ленина"})
    assert done.status_code == 303 and done.headers["location"] == url + "?done=confirmed"
    assert (await _incident(db, incident.id)).status == "confirmed"

    text = "Авария на водоводе, воду дадут к 18:00."
    unconfirmed = await _post(client, url + "/message", url, {"kind": "final", "text": text})
    assert unconfirmed.status_code == 422
    assert "Я подтверждаю: сообщение окончательное" in unconfirmed.text
    assert text in unconfirmed.text  # what was typed is kept
    assert (await _incident(db, incident.id)).status == "confirmed"

    sent = await _post(client, url + "/message", url, {"kind": "interim", "text": text})
    assert sent.status_code == 303
    shown = (await client.get(sent.headers["location"])).text
    assert "Сообщение опубликовано" in shown and text in shown
    assert "Отправлено: 9" in shown and "промежуточное" in shown
    assert (await _incident(db, incident.id)).status == "resolving"

    ticket_page = await client.get(f"/console/tickets/{tickets[0].id}")
    assert f'href="{url}"' in ticket_page.text and "Нет воды на Ленина" in ticket_page.text

    final = await _post(
        client, url + "/message", url, {"kind": "final", "text": "Воду дали.", "confirm": "1"}
    )
    assert final.status_code == 303
    assert (await _incident(db, incident.id)).status == "resolved"
    closed = (await client.get("/console/incidents")).text
    assert "устранён" in closed and "Открытых инцидентов нет" in closed


async def test_split_unlink_link_and_dismiss(client, db) -> None:
    incident, tickets = await _suspected(db)
    await make_user(db, "zhkh1", Role.operator, "zhkh")
    await sign_in(client, "zhkh1")
    url = f"/console/incidents/{incident.id}"

    moved = [str(t.id) for t in tickets[:2]]
    split = await _post(
        client, url + "/split", url, {"ticket_ids": moved, "title": "Двор на Ленина"}
    )
    assert split.status_code == 303
    child_id = int(re.search(r"/console/incidents/(\d+)\?done=split", split.headers["location"])[1])
    assert child_id != incident.id
    child = await client.get(f"/console/incidents/{child_id}")
    assert "Двор на Ленина" in child.text and tickets[0].number in child.text
    assert (await _incident(db, incident.id)).ticket_count == 7

    nothing = await _post(client, url + "/split", url, {"title": "x"})
    assert nothing.status_code == 422 and "Отметьте обращения" in nothing.text

    unlinked = await _post(client, url + "/unlink", url, {"ticket_ids": str(tickets[5].id)})
    assert unlinked.status_code == 303
    assert (await _incident(db, incident.id)).ticket_count == 6

    elsewhere = await _post(client, url + "/link", url, {"number": tickets[0].number})
    assert elsewhere.status_code == 422 and "другой инцидент" in elsewhere.text

    late = await wave_ticket(db, 21, at=datetime.now(UTC))
    linked = await _post(client, url + "/link", url, {"number": late.number.lower()})
    assert linked.status_code == 303, re.findall(r'role="alert">[^<]*', linked.text)
    assert (await _incident(db, incident.id)).ticket_count == 7
    async with db.sessionmaker() as session:
        link = (
            await session.exec(select(IncidentTicket).where(IncidentTicket.ticket_id == late.id))
        ).one()
    assert link.linked_by == "operator" and link.incident_id == incident.id

    no_reason = await _post(client, url + "/dismiss", url, {})
    assert no_reason.status_code == 422 and "почему" in no_reason.text
    dismissed = await _post(
        client, url + "/dismiss", url, {"reason": "разные дома, разные причины"}
    )
    assert dismissed.status_code == 303
    assert (await _incident(db, incident.id)).status == "dismissed"


async def test_a_form_without_the_csrf_token_is_refused(client, db) -> None:
    incident, _ = await _suspected(db)
    await make_user(db, "zhkh1", Role.operator, "zhkh")
    await sign_in(client, "zhkh1")
    refused = await client.post(f"/console/incidents/{incident.id}/confirm", data={})
    assert refused.status_code == 403
    assert (await _incident(db, incident.id)).status == "suspected"
