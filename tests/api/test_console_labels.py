"""The console speaks Russian throughout: department names instead of codes, delivery states in
words, and a masked applicant says why it is masked."""

from __future__ import annotations

import re

from app.models.common import Role
from app.models.tickets import TicketAnswer, TicketEvent
from tests.api.test_console import make_user, sign_in
from tests.support.builders import make_ticket

ROADS = "Отдел дорог и транспорта"
PRESS = "Пресс-служба / ЦУР (разбор обращений)"


async def test_the_inbox_names_the_department(db, client) -> None:
    await make_user(db, "dorogi", dept="roads")
    await sign_in(client, "dorogi")
    inbox = await client.get("/console")
    assert f"Входящие — {ROADS}</h1>" in inbox.text
    assert "— roads" not in inbox.text and "· roads" not in inbox.text


async def test_the_admins_inbox_names_each_tickets_department(db, client) -> None:
    await make_user(db, "glavny", role=Role.admin, dept=None)
    await make_ticket(db, department_code="roads")
    await sign_in(client, "glavny")
    inbox = await client.get("/console")
    assert f"· {ROADS} ·" in inbox.text


async def test_delivery_states_and_routing_read_in_russian(db, client) -> None:
    await make_user(db, "dorogi", dept="roads")
    ticket = await make_ticket(db, department_code="roads")
    async with db.sessionmaker() as session:
        for state in ("queued", "delivered", "failed"):
            answer = TicketAnswer(ticket_id=ticket.id, kind="interim", text=state, author="t")
            answer.delivery_status = state
            session.add(answer)
        routed = {"department_before": "press", "department": "roads"}
        session.add(TicketEvent(ticket_id=ticket.id, actor="t", type="rerouted", data=routed))
        sent = {"outcome": "sent"}
        session.add(TicketEvent(ticket_id=ticket.id, actor="t", type="delivery_attempt", data=sent))
        await session.commit()
    await sign_in(client, "dorogi")
    page = (await client.get(f"/console/tickets/{ticket.id}")).text
    for words in ("доставка: в очереди на отправку", "доставка: доставлен в источник",
                  "доставка: не доставлен", f"{PRESS} → {ROADS}"):  # fmt: skip
        assert words in page, words
    assert re.search(r"доставка ответа</strong>\s*: доставлено", page)
    assert "доставка: queued" not in page and ": sent" not in page


async def test_a_masked_applicant_says_who_sees_it(db, client) -> None:
    await make_user(db, "glavny", role=Role.admin, dept=None)
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "glavny")
    page = (await client.get(f"/console/tickets/{ticket.id}")).text
    assert "Персональные данные скрыты: их видят только операторы и руководители" in page
    assert "Петрова" not in page
