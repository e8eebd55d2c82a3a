"""No operator-facing page speaks English or shows a raw code (issue 25, item 2).

The inbox, a ticket page with a rich timeline (routed by the system, a suggested duplicate, a
citizen's rating through an integration key, an answer whose delivery died, a merge, a repeat,
a comment, an assignment, the SLA sweeper's «at risk» and «breached» marks, a reopening by a
low rating), a refused status change, and the triage page are rendered through
HTTP; their visible text (text nodes and the attributes a person reads or hears) may contain
Latin letters only in a short list of technical words. Department, district, category and
channel codes, event types, English reasons and key ids all contain Latin letters, so any of
them left on a page fails this test."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from sqlmodel import col, select, update

from app.access.api_keys import create_api_key
from app.access.users import create_user
from app.feedback.service import record_feedback
from app.models.auth import ApiKey
from app.models.common import Role
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket, TicketEvent
from tests.api.test_console import PASSWORD, csrf_of, sign_in
from tests.support.builders import make_ticket

# Latin words a Russian operator reads as they are.
ALLOWED = {"SD", "ID", "IM", "SLA", "URL", "email", "API", "Open311", "Telegram", "OpenStreetMap"}
# Identifiers that are not words: ticket numbers, e-mail addresses, links.
NOT_WORDS = re.compile(r"\b[A-Z]{2}-\d{4}-\d{6}\b|\S+@\S+\.\w+|https?://\S+|geo:\S+")
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
READ_ATTRS = ("placeholder", "aria-label", "title", "alt")


class VisibleText(HTMLParser):
    """Text nodes and the attributes a person reads or a screen reader speaks."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        self.parts += [f" {v} " for k, v in attrs if k in READ_ATTRS and v]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(f" {values['value']} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def foreign_words(html: str) -> set[str]:
    """Latin-letter words on the page beyond the allowed technical ones."""
    text = NOT_WORDS.sub(" ", visible(html))
    return {w for w in LATIN.findall(text) if w not in ALLOWED}


def test_the_check_catches_english_and_codes() -> None:
    page = (
        "<p>cannot move a ticket from 'answered' to 'on_hold'</p><p>zhkh</p>"
        '<input placeholder="duplicate_suggested"><p>SD-2026-000070 · API · email</p>'
    )
    assert foreign_words(page) == {
        "cannot", "move", "a", "ticket", "from", "answered", "to", "on_hold", "zhkh",
        "duplicate_suggested",
    }  # fmt: skip
    assert foreign_words("<p>Найдено: 3 · Open311 · SD-2026-000001</p>") == set()


async def _people(db) -> str:
    """An operator of the housing department, a triage operator, and an integration key with
    a name; returns the key's actor («key:<id>»)."""
    async with db.sessionmaker() as session:
        await create_user(session, login="zhkh-op", password=PASSWORD, role=Role.operator,
                          department_code="zhkh", name="Анна Иванова")  # fmt: skip
        await create_user(session, login="razbor-op", password=PASSWORD, role=Role.operator,
                          department_code="press", name="Олег Разборов")  # fmt: skip
        key, _ = await create_api_key(
            session, role=Role.operator, department_code="zhkh", name="Колл-центр"
        )
        await session.commit()
        return f"key:{key.id}"


async def _recorded_by(db, actor: str, *ticket_ids: int) -> None:
    """The tickets were recorded through the integration key (as the API records them)."""
    async with db.sessionmaker() as session:
        stmt = update(TicketEvent).where(col(TicketEvent.ticket_id).in_(ticket_ids))
        await session.exec(stmt.where(TicketEvent.actor == "test").values(actor=actor))  # type: ignore[call-overload]
        await session.commit()


_SEQ = iter(range(1, 1000))


def _ticket(**fields):
    """A heating ticket with a district, an address and a point, each far from the others (no
    duplicates are detected among them)."""
    n = next(_SEQ)
    place = {"district_code": "center", "address": f"ул. Ленина, д. {n}", "lat": 55.7 + n / 100,
             "lon": 37.61, "source_id": f"4821{n}", "category_code": "heating"}  # fmt: skip
    return {**place, **fields}


async def test_no_operator_page_shows_english_or_codes(db, client) -> None:
    key = await _people(db)
    main = await make_ticket(db, **_ticket(text="Холодные батареи в квартире, второй день."))
    ticket = await make_ticket(
        db, **_ticket(kind="social_post", channel="vk", text="Батареи ледяные во всём подъезде.")
    )
    repeat = await make_ticket(db, **_ticket(text="Опять нет отопления в подъезде."))
    triage = await make_ticket(db, department_code="press", category_code="federal",
                               text="Вопрос о пенсии, не знаю куда писать.")  # fmt: skip
    dup, suggested = await make_ticket(db, **_ticket(text="Нет тепла в доме.")), main
    await _recorded_by(db, key, main.id, ticket.id, repeat.id, triage.id, dup.id)
    reasons = {"score": 0.71, "place": 0.6, "text": 0.45, "place_by": "point",
               "problem": "same", "distance_m": 217.4}  # fmt: skip
    routed = {"department": "zhkh", "method": "category",
              "reason": "no rule matched; category heating belongs here"}  # fmt: skip
    events = [
        (ticket.id, "system:routing", "routed", routed),
        (ticket.id, "system:dedup", "duplicate_suggested", {"candidate": main.id, **reasons}),
        (ticket.id, key, "feedback", {"sentiment": "negative", "source_value": "2"}),
        (ticket.id, "system:outbox", "delivery_attempt", {"outcome": "dead", "reason": "http_5xx"}),
        (ticket.id, "system:dedup", "repeat_flagged", {"repeat_of": repeat.id}),
        (ticket.id, "system:dedup", "duplicate_linked", {"duplicate": dup.id}),
        (ticket.id, "system:sla", "deadlines", {"reason": "interim_answer"}),
        # as the SLA sweeper writes them (app.sla.sweeper: «sla_» + level, target, due_at)
        (ticket.id, "system:sla", "sla_at_risk",
         {"target": "first_response", "due_at": "2026-11-20T10:00:00+00:00"}),
        (ticket.id, "system:sla", "sla_breached",
         {"target": "resolution", "due_at": "2026-11-27T10:00:00+00:00"}),
        (dup.id, "system:dedup", "status_changed", {"before": "routed", "after": "merged",
         "reason": "duplicate found automatically", "duplicate_of": ticket.id}),
    ]  # fmt: skip
    async with db.sessionmaker() as session:
        for ticket_id, actor, kind, data in events:
            session.add(TicketEvent(ticket_id=ticket_id, actor=actor, type=kind, data=data))
        session.add(DuplicateSuggestion(ticket_id=ticket.id, candidate_id=suggested.id,
                                        score=0.71, reasons=reasons))  # fmt: skip
        await session.commit()

    await sign_in(client, "zhkh-op")
    page = f"/console/tickets/{ticket.id}"
    token = csrf_of((await client.get(page)).text)
    steps = [
        ("assign", {"assignee": "Анна Иванова"}),
        ("comment", {"text": "Позвонить в управляющую компанию."}),
        ("answer", {"text": "Отопление включено.", "kind": "final", "confirm": "1"}),
    ]
    for action, data in steps:
        r = await client.post(f"{page}/{action}", data={"csrf_token": token, **data})
        assert r.status_code == 303, (action, r.text)
    # Putting an answered ticket on hold is refused: the reason is shown in Russian.
    refused = await client.post(f"{page}/hold", data={"csrf_token": token, "reason": "ждём"})
    assert refused.status_code == 422
    assert "Нельзя перевести обращение из статуса «дан ответ» в «приостановлено»; можно: " in (
        refused.text
    )
    shown = (await client.get(page)).text
    inbox = (await client.get("/console", params={"status": "answered"})).text
    open_page = (await client.get(f"/console/tickets/{main.id}")).text  # every form on it
    assert "Отметить как дубликат" in open_page and "Комментарий для коллег" in open_page
    for html in (shown, open_page, refused.text, inbox, (await client.get("/console")).text):
        assert foreign_words(html) == set()
    text = visible(shown)
    for words in (
        "маршрутизация — направлено: ",
        "категория «Теплоснабжение» закреплена за отделом",
        f"возможный дубликат: похоже на {main.number}: места в 217 м друг от друга",
        "интеграция «Колл-центр» — оценка гражданина: «2», недоволен",
        "доставка ответа: не доставлено — сбой на стороне источника",
        f"повторное обращение: повтор закрытого {repeat.number}",
        f"присоединён дубликат: {dup.number}",
        "Анна Иванова — назначено: — → Анна Иванова",
        "Анна Иванова — комментарий: Позвонить в управляющую компанию.",
        "Почему предложено: места в 217 м друг от друга",
        "контроль сроков — первый ответ: срок скоро истекает (использовано 75 % срока)",
        "контроль сроков — решение: срок просрочен",
    ):
        assert words in text, words
    assert "событие" not in text
    # A low rating reopens the answered ticket: its reason reads in Russian on the page.
    async with db.sessionmaker() as session:
        rated = await session.get(Ticket, ticket.id)
        await record_feedback(session, rated, source_value="2", score=2, sentiment="negative",
                              now=datetime.now(UTC), actor=key)  # fmt: skip
        await session.commit()
    reopened = (await client.get(page)).text
    assert foreign_words(reopened) == set()
    assert "<dt>Причина</dt><dd>оценка гражданина: 2 из 5 — обращение возобновлено</dd>" in (
        reopened
    )
    # A ticket created through the API has no number in a source: its UUID is not shown.
    made = await make_ticket(db, department_code="zhkh", category_code="heating")
    made_page = (await client.get(f"/console/tickets/{made.id}")).text
    assert made.source == "api" and made.source_id not in made_page
    assert "Номер в источнике" not in made_page
    merged = visible((await client.get(f"/console/tickets/{dup.id}")).text)
    assert f"направлено → объединено, дубликат {ticket.number}" in merged
    assert "(«дубликат найден автоматически»)" in merged

    client.cookies.clear()
    await sign_in(client, "razbor-op")
    triage_page = await client.get("/console/triage")
    assert triage.number in triage_page.text
    assert foreign_words(triage_page.text) == set()
    async with db.sessionmaker() as session:
        assert (await session.exec(select(ApiKey.name))).all() == ["Колл-центр"]


# Every key ``changes`` of a ``source_updated`` event can hold (app.intake.ingestion
# ._apply_snapshot) and of an ``updated`` one (app.tickets.service.update_ticket), in words.
SOURCE_CHANGES = {
    "source_status": ("статус в источнике", {"before": "IN_WORK", "after": "RESPONSE_SENT"}),
    "status_not_applied": ("статус из источника не применён",
                           {"current": "answered", "source": "in_progress"}),
    "text": ("текст", {"before": "Яма", "after": "Яма на дороге"}),
    "attachments_added": ("вложения", [{"name": "photo.jpg"}]),
    "extra": ("доп. сведения", {"region": {"before": None, "after": "25"}}),
    "address": ("адрес", {"before": None, "after": "ул. Ленина, 1"}),
    "lat": ("координаты", {"before": None, "after": 55.7}),
    "lon": ("координаты", {"before": None, "after": 37.6}),
    "source_url": ("ссылка на источник", {"before": None, "after": "https://pos.example/1"}),
    "answers_added": ("ответы", [1]),
    "category": ("категория", {"before": "roads", "after": "heating"}),
    "priority": ("приоритет", {"before": "normal", "after": "high"}),
    "district": ("район", {"before": None, "after": "center"}),
    "some_future_key": ("другие сведения", {"before": None, "after": 1}),
}  # fmt: skip


async def test_source_updates_merges_and_failed_deliveries_read_in_russian(db, client) -> None:
    key = await _people(db)
    pos = {"source": "feedback_platform", "kind": "pos_message", "channel": "gosuslugi"}
    ticket = await make_ticket(db, **_ticket(department_code="zhkh", text="Яма у подъезда.", **pos))
    main = await make_ticket(db, **_ticket(department_code="zhkh", text="Нет тепла в доме."))
    dup = await make_ticket(db, **_ticket(department_code="zhkh", text="Холодно в квартире."))
    await _recorded_by(db, key, ticket.id, main.id, dup.id)
    measured = {"score": 0.93, "place": 1.0, "text": 0.82, "place_by": "point",
                "problem": "same", "distance_m": 12.0}  # fmt: skip
    events = [
        (ticket.id, "connector:feedback_platform", "source_updated",
         {"changes": {key: value for key, (_, value) in SOURCE_CHANGES.items()}}),
        (ticket.id, "connector:feedback_platform", "source_updated",
         {"changes": {"extra": {}, "answers_added": [2], "source_status": {}}}),
        (ticket.id, "system:outbox", "delivery_attempt",
         {"outcome": "retry", "reason": "timeout", "attempt": 1}),
        (ticket.id, "system:outbox", "delivery_attempt",
         {"outcome": "dead", "reason": "http_4xx", "status_code": 400, "attempt": 1}),
        (ticket.id, "system:outbox", "delivery_attempt",
         {"outcome": "dead", "reason": "something_new", "attempt": 8}),
        (dup.id, "system:dedup", "status_changed", {"before": "routed", "after": "merged",
         "reason": "duplicate found automatically", "duplicate_of": main.id, **measured}),
    ]  # fmt: skip
    async with db.sessionmaker() as session:
        for ticket_id, actor, kind, data in events:
            session.add(TicketEvent(ticket_id=ticket_id, actor=actor, type=kind, data=data))
        await session.commit()
    await sign_in(client, "zhkh-op")
    shown = (await client.get(f"/console/tickets/{ticket.id}")).text
    assert foreign_words(shown) == set()
    text = visible(shown)
    words = (
        "статус в источнике, текст, адрес, координаты, ссылка на источник, вложения, "
        "доп. сведения, ответы, статус из источника не применён, категория, приоритет, район, "
        "другие сведения"
    )
    assert set(words.split(", ")) == {name for name, _ in SOURCE_CHANGES.values()}
    assert f"ПОС (Госуслуги) — обновлено в источнике: изменено: {words}" in text
    assert "изменено: статус в источнике, доп. сведения, ответы" in text
    assert "доставка ответа: не удалось, будет повтор — источник не ответил вовремя" in text
    assert "доставка ответа: не доставлено — источник отказал в приёме (код ответа 400)" in text
    assert "не доставлено — причина не распознана, попыток: 8" in text
    merged = (await client.get(f"/console/tickets/{dup.id}")).text
    assert foreign_words(merged) == set()
    assert (
        f"направлено → объединено, дубликат {main.number} («дубликат найден автоматически»): "
        "места в 12 м друг от друга; тексты похожи на 82 %; по словарю проблем — одна и та же"
    ) in visible(merged)
