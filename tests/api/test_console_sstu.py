"""The console asks for a 59-ФЗ appeal's ССТУ.РФ outcome in its answer and reject forms."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlmodel import col, select

from app.models.sstu import SstuQuestion
from app.models.tickets import Ticket
from tests.api.test_console import csrf_of, make_user, sign_in
from tests.support.builders import auth, make_key, make_ticket

HEATING = "0005.0005.0056.1156"
FIELDSET = "ССТУ.РФ: результат по каждому вопросу обращения (59-ФЗ)"


def answer_form(page: str) -> str:
    match = re.search(r'<form method="post" action="[^"]+/answer".*?</form>', page, re.S)
    assert match, page
    return html.unescape(match.group(0))


async def stored(db, ticket_id: int | None) -> list[SstuQuestion]:
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(SstuQuestion)
            .where(SstuQuestion.ticket_id == ticket_id)
            .order_by(col(SstuQuestion.position))
        )
        return list(rows.all())


async def status_of(db, ticket_id: int | None) -> str:
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.status


async def test_the_answer_form_asks_for_each_question_outcome(db, client):
    await make_user(db, "sokolova", dept="zhkh")
    ticket = await make_ticket(db, kind="fz59_appeal", category_code="heating")
    await sign_in(client, "sokolova")
    page = await client.get(f"/console/tickets/{ticket.id}")
    form = answer_form(page.text)
    assert FIELDSET in form
    assert f'<option value="{HEATING}" selected>' in form  # the category's default question
    assert "Рассмотрено. Поддержано" in form and "Направлено по компетенции" in form
    assert "укажите: вопрос 1: результат рассмотрения." in form  # what closing still needs
    assert 'list="reject-sstu-addressees"' in page.text  # the reject form asks too


async def test_answering_without_outcome_is_refused_then_with_one_accepted(db, client):
    await make_user(db, "sokolova", dept="zhkh")
    ticket = await make_ticket(db, kind="fz59_appeal", category_code="heating")
    await sign_in(client, "sokolova")
    token = csrf_of((await client.get(f"/console/tickets/{ticket.id}")).text)
    # One row as the page sends it (the default code, no outcome chosen), plus the empty row.
    rows = {
        "q_code": [HEATING, ""],
        "q_status": ["", ""],
        "q_actions": ["", ""],
        "q_ground": ["", ""],
        "t_to": ["", ""],
        "t_date": ["", ""],
        "t_number": ["", ""],
    }
    data = {"text": "Отопление дали.", "kind": "final", "confirm": "1", "csrf_token": token, **rows}
    r = await client.post(f"/console/tickets/{ticket.id}/answer", data=data)
    assert r.status_code == 422  # the page again, the answer's text still in its field
    assert "результат рассмотрения для ССТУ.РФ" in r.text and "Отопление дали.</textarea>" in r.text
    assert await status_of(db, ticket.id) == ticket.status
    assert await stored(db, ticket.id) == []  # the refused answer stored nothing

    rows["q_status"] = ["Supported", ""]
    rows["q_actions"] = ["yes", ""]
    rows["q_ground"] = ["obscene", ""]  # a detail of another outcome is not taken
    data = {"text": "Отопление дали.", "kind": "final", "confirm": "1", "csrf_token": token, **rows}
    r = await client.post(f"/console/tickets/{ticket.id}/answer", data=data)
    assert r.headers["location"] == f"/console/tickets/{ticket.id}?done=answered"
    assert await status_of(db, ticket.id) == "answered"
    [q] = await stored(db, ticket.id)
    assert (q.code, q.status, q.actions_taken, q.ground) == (HEATING, "Supported", True, None)
    assert q.decided_at is not None and q.updated_by == "user:sokolova"


async def test_a_reopened_appeal_shows_its_outcome_to_confirm(db, client):
    await make_user(db, "sokolova", dept="zhkh")
    ticket = await make_ticket(db, kind="fz59_appeal", category_code="heating")
    admin = await make_key(db, "admin")
    body = {"questions": [{"code": HEATING, "status": "Explained"}]}
    url = f"/api/v1/tickets/{ticket.id}"
    assert (await client.put(f"{url}/sstu", json=body, headers=auth(admin))).status_code == 200
    final = {"text": "Ответ.", "kind": "final"}
    assert (await client.post(f"{url}/answers", json=final, headers=auth(admin))).status_code == 201
    reopen = {"to": "in_progress", "reason": "не сделано"}
    r = await client.post(f"{url}/transitions", json=reopen, headers=auth(admin))
    assert r.status_code == 200
    await sign_in(client, "sokolova")
    page = await client.get(f"/console/tickets/{ticket.id}")
    form = answer_form(page.text)
    assert "вопрос 1: результат записан до возобновления — подтвердите его или измените" in form
    assert '<option value="Explained" selected>' in form  # kept, offered to confirm
    # Sent back with the answer form, the outcome is confirmed and the appeal answered.
    rows = {
        "q_code": [HEATING, ""],
        "q_status": ["Explained", ""],
        "q_actions": ["", ""],
        "q_ground": ["", ""],
        "t_to": ["", ""],
        "t_date": ["", ""],
        "t_number": ["", ""],
    }
    token = csrf_of(page.text)
    data = {
        "text": "Повторный ответ.",
        "kind": "final",
        "confirm": "1",
        "csrf_token": token,
        **rows,
    }
    r = await client.post(f"/console/tickets/{ticket.id}/answer", data=data)
    assert r.headers["location"] == f"/console/tickets/{ticket.id}?done=answered"


async def test_rejecting_as_transferred_from_the_console(db, client):
    await make_user(db, "orlov", dept="press")
    ticket = await make_ticket(db, kind="fz59_appeal", category_code="health")
    await sign_in(client, "orlov")
    token = csrf_of((await client.get(f"/console/tickets/{ticket.id}")).text)
    r = await client.post(
        f"/console/tickets/{ticket.id}/reject",
        data={
            "csrf_token": token,
            "reason": "вопрос здравоохранения края",
            "redirect_to": "Министерство здравоохранения Приморского края",
            "q_code": ["0002.0014.0143.0389", ""],
            "q_status": ["Transferred", ""],
            "q_actions": ["", ""],
            "q_ground": ["", ""],
            "t_to": ["Министерство здравоохранения Приморского края", ""],
            "t_date": ["2026-11-06", ""],
            "t_number": ["01-15/77", ""],
        },
    )
    assert r.headers["location"] == f"/console/tickets/{ticket.id}?done=rejected"
    [q] = await stored(db, ticket.id)
    assert (q.status, q.transfer_number, q.transfer_on) == (
        "Transferred",
        "01-15/77",
        date(2026, 11, 6),
    )
    # The addressee's ССТУ id comes from the city's list of addressees.
    assert q.transfer_department_id == "9f1d2c3e-0000-4000-8000-000000000102"


async def test_other_appeals_have_no_sstu_fields(db, client):
    await make_user(db, "popova")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "popova")
    page = await client.get(f"/console/tickets/{ticket.id}")
    assert FIELDSET not in page.text
