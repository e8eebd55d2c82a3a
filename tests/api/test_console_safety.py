"""Steps that cannot be undone ask first; nothing typed is lost; the team's own tools; counts;
a triage page a screen reader can follow (issue 25, items 6, 7, 8 and 10)."""

from __future__ import annotations

import re

from sqlmodel import select

from app.access.users import create_user
from app.dedup.score import distance_m
from app.models.common import Role
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket, TicketAnswer, TicketEvent
from tests.api.test_console import PASSWORD, csrf_of, make_user, sign_in
from tests.support.builders import make_ticket


def form(html: str, action: str) -> str:
    match = re.search(rf'<form method="post" action="[^"]+/{action}".*?</form>', html, re.S)
    assert match, action
    return match.group(0)


async def answers_of(db, ticket_id: int) -> list[tuple[str, str]]:
    async with db.sessionmaker() as session:
        rows = await session.exec(select(TicketAnswer).where(TicketAnswer.ticket_id == ticket_id))
        return [(a.kind, a.text) for a in rows.all()]


async def ticket_row(db, ticket_id: int) -> Ticket:
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def test_the_answer_kind_is_a_choice_and_a_final_answer_is_confirmed(db, client) -> None:
    await make_user(db, "otvet")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "otvet")
    page = f"/console/tickets/{ticket.id}"
    html = (await client.get(page)).text
    answer = form(html, "answer")
    assert "checked" not in answer  # neither kind is preselected
    assert 'name="kind" value="interim" required' in answer
    token = csrf_of(html)
    text = "Яму заделаем до пятницы.\nБригада уже выехала."
    r = await client.post(f"{page}/answer", data={"csrf_token": token, "text": text})
    assert r.status_code == 422 and "Выберите вид ответа" in r.text
    assert f">{text}</textarea>" in r.text  # the typed text is kept
    r = await client.post(
        f"{page}/answer", data={"csrf_token": token, "text": text, "kind": "final"}
    )
    assert r.status_code == 422
    assert "Окончательный ответ завершает работу по обращению, отменить его нельзя" in r.text
    again = form(r.text, "answer")
    assert f">{text}</textarea>" in again and 'value="final" checked' in again
    assert "confirm attention" in again  # the box to tick is marked
    assert await answers_of(db, ticket.id) == []
    assert (await ticket_row(db, ticket.id)).status == ticket.status
    # An interim answer needs no confirmation; a final one goes with the box ticked.
    interim = {"csrf_token": token, "text": "Приняли в работу.", "kind": "interim"}
    assert (await client.post(f"{page}/answer", data=interim)).status_code == 303
    final = {"csrf_token": token, "text": text, "kind": "final", "confirm": "1"}
    r = await client.post(f"{page}/answer", data=final)
    assert r.headers["location"] == f"{page}?done=answered"
    assert await answers_of(db, ticket.id) == [("interim", "Приняли в работу."), ("final", text)]


async def test_typed_text_survives_every_refusal(db, client) -> None:
    await make_user(db, "pamyat")
    ticket = await make_ticket(db, department_code="roads", kind="fz59_appeal")
    await sign_in(client, "pamyat")
    page = f"/console/tickets/{ticket.id}"
    token = csrf_of((await client.get(page)).text)
    return_kept = 'name="reason" required minlength="3" value="не"'
    cases = [
        # (action, fields, the refusal shown, the field's html with the typed value)
        (
            "return",
            {"reason": "не", "department": "zhkh"},
            "Обращение не возвращено. Проверьте поля формы: причина.",
            return_kept,
        ),
        (
            "extend",
            {"reason": "нужна экспертиза", "days": "45"},
            "Срок не продлён. Проверьте поля формы: на сколько дней продлить.",
            'value="45"',
        ),
        (
            "reject",
            {"reason": "", "redirect_to": "Прокуратура края"},
            "Обращение не отклонено.",
            'value="Прокуратура края"',
        ),
        (
            "merge",
            {"number": "SD-2026-999999", "confirm": "1"},
            "Обращение SD-2026-999999 не найдено среди доступных вам.",
            'value="SD-2026-999999"',
        ),
        ("comment", {"text": "   "}, "Напишите текст комментария.", "</textarea>"),
    ]
    shown = {}
    for action, fields, message, kept in cases:
        r = await client.post(f"{page}/{action}", data={"csrf_token": token, **fields})
        assert r.status_code == 422, (action, r.status_code)
        assert message in r.text, (action, message)
        assert kept in form(r.text, action), action
        assert "does not" not in r.text and "at most" not in r.text, action
        shown[action] = r.text
    # What one form typed is not copied into another.
    assert 'value="не"' in form(shown["return"], "return")
    assert 'value="не"' not in form(shown["return"], "hold") + form(shown["return"], "reject")


async def test_suggested_duplicates_say_why_and_merging_is_confirmed(db, client) -> None:
    await make_user(db, "dubli")
    # Two houses 217 m apart: a suggestion made before reasons were stored is measured again.
    main = await make_ticket(db, department_code="roads", lat=55.7500, lon=37.6100,
                             address="ул. Ленина, д. 5")  # fmt: skip
    dup = await make_ticket(db, department_code="roads", lat=55.7519, lon=37.6112,
                            address="ул. Ленина, д. 31")  # fmt: skip
    async with db.sessionmaker() as session:
        session.add(DuplicateSuggestion(ticket_id=dup.id, candidate_id=main.id, score=0.5))
        await session.commit()
    await sign_in(client, "dubli")
    page = f"/console/tickets/{dup.id}"
    html = (await client.get(page)).text
    metres = distance_m(55.7500, 37.6100, 55.7519, 37.6112)
    assert 200 < metres < 250
    assert f"Почему предложено: места в {metres:.0f} м друг от друга; тексты похожи на" in html
    merge = form(html, "merge")
    assert 'name="confirm" value="1" required' in merge
    r = await client.post(f"{page}/merge", data={"csrf_token": csrf_of(html), "into": main.id})
    assert r.status_code == 422 and (await ticket_row(db, dup.id)).status != "merged"


async def test_an_unsuggested_duplicate_is_marked_by_number_among_visible_tickets(
    db, client
) -> None:
    await make_user(db, "nomer")
    main = await make_ticket(db, department_code="roads")
    dup = await make_ticket(db, department_code="roads")
    foreign = await make_ticket(db, department_code="zhkh")
    await sign_in(client, "nomer")
    page = f"/console/tickets/{dup.id}"
    token = csrf_of((await client.get(page)).text)
    # Another department's ticket is not offered, whatever its number.
    data = {"csrf_token": token, "number": foreign.number, "confirm": "1"}
    r = await client.post(f"{page}/merge", data=data)
    assert r.status_code == 422
    assert f"Обращение {foreign.number} не найдено среди доступных вам." in r.text
    # Lower case and spaces are forgiven; the box must be ticked.
    data = {"csrf_token": token, "number": f"  {main.number.lower()} "}
    assert (await client.post(f"{page}/merge", data=data)).status_code == 422
    r = await client.post(f"{page}/merge", data={**data, "confirm": "1"})
    assert r.headers["location"] == f"{page}?done=merged"
    merged = await ticket_row(db, dup.id)
    assert merged.status == "merged" and merged.duplicate_of_id == main.id
    shown = (await client.get(page)).text
    assert f"дубликат {main.number}" in shown and "дубликат отмечен в пульте по номеру" in shown


async def test_comments_and_assignment_from_the_console(db, client) -> None:
    await make_user(db, "komment")
    async with db.sessionmaker() as session:
        await create_user(session, login="kolle", password=PASSWORD, role=Role.operator,
                          department_code="roads", name="Пётр Коллегин")  # fmt: skip
        await create_user(session, login="chuzhoy", password=PASSWORD, role=Role.operator,
                          department_code="zhkh", name="Чужой Сотрудник")  # fmt: skip
        await session.commit()
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "komment")
    page = f"/console/tickets/{ticket.id}"
    html = (await client.get(page)).text
    assign = form(html, "assign")
    assert '<option value="Пётр Коллегин">' in assign and "Чужой Сотрудник" not in assign
    token = csrf_of(html)
    r = await client.post(f"{page}/assign", data={"csrf_token": token, "assignee": "Пётр Коллегин"})
    assert r.headers["location"] == f"{page}?done=assigned"
    note = "Подрядчик обещал к среде."
    r = await client.post(f"{page}/comment", data={"csrf_token": token, "text": note})
    assert r.headers["location"] == f"{page}?done=commented"
    assert (await ticket_row(db, ticket.id)).assignee == "Пётр Коллегин"
    shown = (await client.get(r.headers["location"])).text
    assert "Комментарий сохранён" in shown and f"комментарий</strong>: {note}" in shown
    assert '<option value="Пётр Коллегин" selected>' in form(shown, "assign")
    async with db.sessionmaker() as session:
        kinds = (
            await session.exec(
                select(TicketEvent.type).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.actor == "user:komment"
                )
            )
        ).all()
        assert sorted(kinds) == ["assigned", "comment"]
    r = await client.post(f"{page}/assign", data={"csrf_token": token, "assignee": ""})
    assert (await ticket_row(db, ticket.id)).assignee is None


async def test_the_inbox_says_how_many_tickets_it_found(db, client) -> None:
    await make_user(db, "schet")
    made = [
        await make_ticket(db, department_code="roads", text=text)
        for text in ("Яма у школы", "Яма у рынка", "Не горит фонарь")
    ]
    await make_ticket(db, department_code="zhkh", text="Яма во дворе")
    await sign_in(client, "schet")
    assert "Найдено: 3</p>" in (await client.get("/console")).text
    assert "Найдено: 2</p>" in (await client.get("/console", params={"q": "яма"})).text
    by_number = (await client.get("/console", params={"q": made[2].number})).text
    assert "Найдено: 1</p>" in by_number and made[2].number in by_number
    inbox = (await client.get("/console")).text
    assert (
        '<details class="filters-box">' in inbox and "<summary>Поиск и фильтры</summary>" in inbox
    )
    assert '<ul class="tickets compact">' in inbox


async def test_triage_rows_are_labelled_and_only_a_sure_department_is_preselected(
    db, client
) -> None:
    await make_user(db, "razbor", dept="press")
    unsure = await make_ticket(db, department_code="press", category_code="federal",
                               text="Куда обратиться по вопросу пенсии?")  # fmt: skip
    sure = await make_ticket(db, department_code="press", category_code="heating",
                             text="Холодные батареи в квартире")  # fmt: skip
    await sign_in(client, "razbor")
    html = (await client.get("/console/triage")).text
    rows = {t.id: form(html, f"{t.id}/route") for t in (unsure, sure)}
    for ticket in (unsure, sure):
        row = rows[ticket.id]
        assert f"<legend>Куда направить {ticket.number}</legend>" in row
        assert f'<label for="route-{ticket.id}">Отдел для {ticket.number}</label>' in row
        assert f'aria-label="Направить {ticket.number}"' in row
        assert 'name="department" required' in row
    assert '<option value="" selected>— выберите отдел —</option>' in rows[unsure.id]
    assert " selected" not in rows[unsure.id].replace('<option value="" selected>', "")
    # Heating belongs to the housing department by category: routing is sure of it.
    assert '<option value="zhkh" selected>' in rows[sure.id]
    # Sending without a choice is refused.
    token = csrf_of(html)
    r = await client.post(
        f"/console/tickets/{unsure.id}/route",
        data={"csrf_token": token, "department": "", "from": "triage"},
    )
    assert r.headers["location"] == "/console/triage?error=form&field=department"
    assert (await ticket_row(db, unsure.id)).department_code == "press"
