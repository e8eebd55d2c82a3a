"""The operator's console (issue 25, items 1, 3, 4, 5, 9): every deadline with its state and the
inbox sorted by the nearest, «Передано в …» after a return, the citizen's rating on the ticket
page, finding a ticket by number, status or answer, the link to the original in ПОС."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta

from app.feedback.service import record_feedback
from app.models.common import Role
from app.models.tickets import Ticket
from app.tickets import nearest
from tests.api.test_console import make_user, page_token, sign_in
from tests.support.builders import auth, make_key, make_ticket


def row_of(page: str, number: str) -> str:
    """The inbox row of one ticket (its <li>)."""
    assert number in page, number
    start = page.rfind("<li", 0, page.index(number))
    return page[start : page.index("</li>", start)]


def text_of(page: str) -> str:
    """The page's words, one space between them (tags are spaces)."""
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))


def numbers_in(page: str) -> list[str]:
    return re.findall(r'class="num">([A-Z]+-\d{4}-\d+)<', page)


async def test_every_running_deadline_on_the_row_with_its_own_state(db, client):
    """A high-priority post whose 4-working-hour first answer is late is red on its row, even
    with weeks left to resolve it; it comes first (nearest deadline), and shows its priority."""
    old = datetime.now(UTC) - timedelta(days=5)
    late_post = await make_ticket(
        db, source="incident_management", kind="social_post", channel="vk", priority="high",
        department_code="roads", now=old,
    )  # fmt: skip
    calm = await make_ticket(db, department_code="roads")
    appeal = await make_ticket(db, kind="fz59_appeal", channel="mail", department_code="roads")
    # Answered in the interim: no first answer pending, the final one due in 7 working days —
    # sooner than the calm ticket's resolution, later than its first answer.
    interim = await make_ticket(
        db, source="incident_management", kind="social_post", channel="ok", department_code="roads"
    )
    r = await client.post(
        f"/api/v1/tickets/{interim.id}/answers",
        json={"text": "Приняли в работу.", "kind": "interim"},
        headers=auth(await make_key(db, Role.operator, "roads")),
    )
    assert r.status_code == 201, r.text
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    page = (await client.get("/console")).text
    late_row = row_of(page, late_post.number)
    assert re.search(r'due-breached"[^>]*>.*первый ответ: просрочено на', late_row, re.S)
    assert "приоритет высокий" in late_row
    assert "решение: осталось" in text_of(late_row)  # the 7-working-day window still runs
    calm_row = text_of(row_of(page, calm.number))
    assert "первый ответ: осталось" in calm_row and "решение: осталось" in calm_row
    assert "просрочено" not in calm_row and "приоритет" not in calm_row
    # The hub registered the appeal as it came in: only what still runs is on the row.
    appeal_row = text_of(row_of(page, appeal.number))
    assert "решение (срок по 59-ФЗ): осталось" in appeal_row and "регистрация" not in appeal_row
    # Nearest running deadline first (the default order); by resolution date on request.
    order = numbers_in(page)
    assert order[0] == late_post.number
    assert order.index(calm.number) < order.index(interim.number) < order.index(appeal.number)
    by_resolution = numbers_in((await client.get("/console", params={"sort": "resolution"})).text)
    assert by_resolution.index(interim.number) < by_resolution.index(calm.number)
    by_new = numbers_in((await client.get("/console", params={"sort": "new"})).text)
    assert by_new[-1] == late_post.number


async def test_ticket_page_lists_every_target_and_why_a_deadline_moved(db, client):
    now = datetime.now(UTC)
    post = await make_ticket(
        db, source="incident_management", kind="social_post", channel="vk", priority="high",
        department_code="roads", now=now - timedelta(days=5),
    )  # fmt: skip
    token = await make_key(db, Role.operator, "roads")
    r = await client.post(
        f"/api/v1/tickets/{post.id}/answers",
        json={"text": "Приняли, бригада выедет на неделе.", "kind": "interim"},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    page = text_of((await client.get(f"/console/tickets/{post.id}")).text)
    assert "приоритет высокий" in page
    assert re.search(r"первый ответ: дан с опозданием на \d+ дн", page)
    assert re.search(r"решение: осталось \d+ дн", page)
    moved = "после промежуточного ответа — окончательный ответ в течение 7 рабочих дней"
    assert "Сроки менялись: " in page and moved in page
    assert moved in page.split("История", 1)[1]  # the timeline says it too


async def test_a_59_fz_appeal_shows_registration_legal_date_and_its_extension(db, client):
    appeal = await make_ticket(db, kind="fz59_appeal", channel="mail", department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    url = f"/console/tickets/{appeal.id}"
    page = text_of((await client.get(url)).text)
    assert "регистрация по 59-ФЗ: проведена в срок" in page
    assert "решение (срок по 59-ФЗ): осталось" in page and "контрольный срок: осталось" in page
    r = await client.post(
        url + "/extend",
        data={
            "days": "10",
            "reason": "нужен выезд комиссии",
            "csrf_token": await page_token(client, url),
        },
    )
    assert r.status_code == 303, r.text
    page = text_of((await client.get(url)).text)
    assert "продлён по 59-ФЗ (ст. 12 ч. 2) на 10 дней: «нужен выезд комиссии»" in page


async def test_a_late_first_answer_is_not_green_on_the_ticket_page(db, client):
    ticket = await make_ticket(
        db, department_code="roads", now=datetime.now(UTC) - timedelta(days=4)
    )
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    page = (await client.get(f"/console/tickets/{ticket.id}")).text
    line = next(li for li in page.split("<li") if "первый ответ" in li)
    assert "due-breached" in line and "due-ok" not in line and "просрочено на" in line


async def test_return_goes_to_the_inbox_and_says_where_the_ticket_went(db, client):
    ticket = await make_ticket(db, department_code="roads")
    to_triage = await make_ticket(db, department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    url = f"/console/tickets/{ticket.id}"
    r = await client.post(
        url + "/return",
        data={"reason": "это водоснабжение", "department": "zhkh",
              "csrf_token": await page_token(client, url)},
    )  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == "/console?done=passed&to=zhkh"
    inbox = await client.get(r.headers["location"])
    assert inbox.status_code == 200
    zhkh = await _department_name(db, "zhkh")
    assert f"Передано в «{zhkh}»" in text_of(inbox.text)
    assert ticket.number not in inbox.text  # gone from this department's list
    # Not knowing whose it is: to triage, named too.
    url = f"/console/tickets/{to_triage.id}"
    r = await client.post(
        url + "/return", data={"reason": "не наше", "csrf_token": await page_token(client, url)}
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/console?done=passed&to=")
    assert "Передано в «" in text_of((await client.get(r.headers["location"])).text)
    # A made-up link says nothing (only names the directory knows are shown).
    forged = await client.get("/console", params={"done": "passed", "to": "<b>взлом</b>"})
    assert "Передано" not in forged.text and "взлом" not in forged.text


async def _department_name(db, code: str) -> str:
    from app.models.directory import Department

    async with db.sessionmaker() as session:
        department = await session.get(Department, code)
        assert department is not None
        return department.name


async def test_the_citizens_rating_is_on_the_ticket_page(db, client):
    ticket = await make_ticket(
        db, source="feedback_platform", kind="pos_message", channel="gosuslugi",
        source_id="4815162342", department_code="roads",
    )  # fmt: skip
    token = await make_key(db, Role.operator, "roads")
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Яму засыпали.", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    async with db.sessionmaker() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        await record_feedback(
            session, row, source_value="Засыпали щебнем, через день снова яма", score=2,
            sentiment="negative", now=datetime.now(UTC), actor="connector:feedback_platform",
        )  # fmt: skip
        await session.commit()
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    page = text_of((await client.get(f"/console/tickets/{ticket.id}")).text)
    rating = page.split("Оценка гражданина", 1)[1].split("Ответы", 1)[0]
    assert "2 из 5" in rating and "недоволен" in rating
    assert "«Засыпали щебнем, через день снова яма»" in rating
    assert "ПОС (Госуслуги)" in rating and "обращение возобновлено" in rating
    assert "key:" not in page


async def test_a_rating_recorded_by_staff_names_who_recorded_it(db, client):
    ticket = await make_ticket(db, department_code="roads")
    await make_user(db, "ivanova")
    token = await make_key(db, Role.operator, "roads")
    await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Готово.", "kind": "final"},
        headers=auth(token),
    )
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/feedback", json={"score": 5}, headers=auth(token)
    )
    assert r.status_code in (200, 201), r.text
    await sign_in(client, "ivanova")
    page = text_of((await client.get(f"/console/tickets/{ticket.id}")).text)
    rating = page.split("Оценка гражданина", 1)[1].split("Ответы", 1)[0]
    assert "5 из 5" in rating and "доволен" in rating
    assert "записал сотрудник" in rating and "интеграция" in rating
    assert "«5»" not in rating  # the score is not repeated as a comment


async def test_find_a_ticket_by_number_in_every_spelling(db, client):
    wanted = await make_ticket(db, department_code="roads")
    await make_ticket(db, department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    seq = int(wanted.number.rsplit("-", 1)[1])
    year_and_seq = wanted.number.split("-", 1)[1]
    for q in (wanted.number, wanted.number.lower(), year_and_seq, f"{seq:06d}", str(seq)):
        found = numbers_in((await client.get("/console", params={"q": q})).text)
        assert found == [wanted.number], (q, found)


async def test_all_statuses_and_answers_are_searched_within_the_department(db, client):
    token = await make_key(db, Role.operator, "roads")
    closed = await make_ticket(db, department_code="roads")
    r = await client.post(
        f"/api/v1/tickets/{closed.id}/answers",
        json={
            "text": "Покрытие восстановил подрядчик: щебень и асфальтовая крошка.",
            "kind": "final",
        },
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    other_token = await make_key(db, Role.operator, "zhkh")
    elsewhere = await make_ticket(db, department_code="zhkh")
    r = await client.post(
        f"/api/v1/tickets/{elsewhere.id}/answers",
        json={"text": "Подрядчик убрал крошку из подъезда.", "kind": "final"},
        headers=auth(other_token),
    )
    assert r.status_code == 201, r.text
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    # Answered: not in the open list, found with «все статусы» by a word of its answer.
    assert closed.number not in (await client.get("/console", params={"q": "крошка"})).text
    page = (await client.get("/console", params={"q": "подрядчика крошку", "status": "all"})).text
    assert numbers_in(page) == [closed.number]  # the other department's answer stays unseen
    assert 'value="all" selected' in page
    # By number as well, whatever its status.
    found = await client.get("/console", params={"q": closed.number, "status": "all"})
    assert numbers_in(found.text) == [closed.number]
    hidden = await client.get("/console", params={"q": elsewhere.number, "status": "all"})
    assert numbers_in(hidden.text) == []


async def test_a_pos_ticket_links_to_its_original_in_the_pos_back_office(db, app, client):
    pos = await make_ticket(
        db, source="feedback_platform", kind="pos_message", channel="gosuslugi",
        source_id="4815162342", department_code="roads",
    )  # fmt: skip
    phone = await make_ticket(db, department_code="roads")
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    page = (await client.get(f"/console/tickets/{pos.id}")).text
    assert 'href="https://pos.gosuslugi.ru/backoffice/appeals/4815162342"' in page
    assert "открыть в ПОС" in page
    assert "открыть в ПОС" not in (await client.get(f"/console/tickets/{phone.id}")).text
    settings = app.state.settings
    app.state.settings = settings.model_copy(
        update={"feedback_platform_backoffice_url": "https://pos.test.example/bo/appeals/"}
    )
    page = (await client.get(f"/console/tickets/{pos.id}")).text
    assert 'href="https://pos.test.example/bo/appeals/4815162342"' in page


async def test_nearest_deadline_pages_walk_every_ticket_once(db, client):
    """The keyset cursor of the nearest-deadline order (computed in Python, compared in SQL)."""
    now = datetime.now(UTC)
    made = [
        await make_ticket(db, department_code="roads", now=now - timedelta(hours=7 * i))
        for i in range(27)
    ]
    await make_user(db, "ivanova")
    await sign_in(client, "ivanova")
    seen: list[str] = []
    url = "/console"
    while url:
        page = (await client.get(url)).text
        seen += numbers_in(page)
        more = re.search(r'<a href="(/console\?[^"]*cursor=[^"]*)">Дальше', page)
        url = html_lib.unescape(more.group(1)) if more else ""
    assert sorted(seen) == sorted(t.number for t in made) and len(seen) == 27
    # Nearest running deadline first; tickets due at the same moment (the first answer of
    # several falls on the same working morning) in the order they were stored.
    expected = sorted(made, key=lambda t: (nearest.nearest_due(t), t.id))
    assert seen == [t.number for t in expected]
    # The oldest ticket's first answer is among the first due.
    assert nearest.nearest_due(made[-1]) == nearest.nearest_due(expected[0])


async def test_routing_out_of_sight_from_the_ticket_page_also_lands_on_the_inbox(db, client):
    ticket = await make_ticket(db, department_code="press")
    await make_user(db, "press-op", Role.operator, "press")
    await sign_in(client, "press-op")
    url = f"/console/tickets/{ticket.id}"
    r = await client.post(
        url + "/route", data={"department": "roads", "csrf_token": await page_token(client, url)}
    )
    assert r.status_code == 303 and r.headers["location"] == "/console?done=passed&to=roads"
    roads = await _department_name(db, "roads")
    assert f"Передано в «{roads}»" in text_of((await client.get(r.headers["location"])).text)
