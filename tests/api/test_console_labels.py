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


# Codes and English the pages must never show (issue 22, point 12).
FORBIDDEN = (
    "(center)", "(ok)", "connector:", "system:", "user:", "key:1", "incident_management",
    "no rule matched", "belongs here", "final answer sent", "citizen rating",
    ">source_updated<", ">feedback<", "(triage)", "category has no department",
    "не совпало category", ">health ·", ">federal ·",
)  # fmt: skip


def assert_russian(page: str) -> None:
    for token in FORBIDDEN:
        assert token not in page, token


async def test_the_ticket_page_names_places_networks_events_and_actors(db, client) -> None:
    from app.access.users import create_user
    from tests.api.test_console import PASSWORD
    from tests.unit.test_console_event_labels import recorded_types

    async with db.sessionmaker() as session:
        await create_user(session, login="demo-zhkh", password=PASSWORD, role=Role.operator,
                          department_code="zhkh", name="Анна Иванова")  # fmt: skip
        await session.commit()
    place = {"district_code": "center", "address": "ул. Ленина, д. 19"}
    ticket = await make_ticket(db, category_code="power", kind="social_post", channel="ok", **place)
    routed = {"department": "zhkh", "method": "category",
              "reason": "no rule matched; category power belongs here"}  # fmt: skip
    closed = {"before": "in_progress", "after": "answered", "reason": "final answer sent"}
    events = [
        ("system:routing", "routed", routed),
        ("user:demo-zhkh", "status_changed", closed),
        ("system:outbox", "delivery_attempt", {"outcome": "sent", "reason": "HTTP 200"}),
        ("connector:incident_management", "source_updated", {"changes": {"text": {}}}),
        ("key:1", "feedback", {"sentiment": "negative", "source_value": "2", "reopen": True}),
    ]
    events += [("system:sla", kind, {}) for kind in sorted(recorded_types())]
    async with db.sessionmaker() as session:
        for actor, kind, data in events:
            session.add(TicketEvent(ticket_id=ticket.id, actor=actor, type=kind, data=data))
        answer = TicketAnswer(ticket_id=ticket.id, kind="final", text="Готово", author="key:1")
        session.add(answer)
        await session.commit()
    await sign_in(client, "demo-zhkh")
    page = (await client.get(f"/console/tickets/{ticket.id}")).text
    assert_russian(page)
    for kind in recorded_types():
        assert f"<strong>{kind}</strong>" not in page, kind
    assert "окончательный · интеграция (ключ 1) ·" in page
    for words in ("д. 19 (Центральный)", "пост в соцсети (Одноклассники)", "Инцидент Менеджмент",
                  "маршрутизация", "отправка ответов", "Анна Иванова", "интеграция (ключ 1)",
                  "«Электро- и газоснабжение» закреплена за отделом",
                  "(«отправлен окончательный ответ»)",
                  "обновлено в источнике</strong>: изменено: текст",
                  "оценка гражданина</strong>: «2», недоволен"):  # fmt: skip
        assert words in page, words


async def test_the_triage_page_names_categories_methods_and_conditions(db, client) -> None:
    await make_user(db, "razbor", dept="press")
    for category in ("health", "federal"):
        await make_ticket(db, department_code="press", category_code=category,
                          text=f"Яма на дороге у поликлиники ({category})")  # fmt: skip
    await sign_in(client, "razbor")
    page = (await client.get("/console/triage")).text
    assert_russian(page)
    for words in ("Здравоохранение (региональное) ·", "Федеральные и прочие ведомства ·",
                  f"{PRESS}</strong> (разбор)", "правила не подошли, а у категории нет отдела",
                  "не совпало: категория"):  # fmt: skip
        assert words in page, words
