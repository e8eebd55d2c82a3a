"""Async builders for test data (instead of factories)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from app.access.api_keys import create_api_key
from app.db import Database
from app.models.common import Role
from app.models.drafts import ApplicantDraft, TicketDraft
from app.models.tickets import Ticket
from app.tickets.service import create_from_draft


async def make_key(db: Database, role: Role | str, department: str | None = None) -> str:
    """A new API key (clear token) with the given role and department."""
    async with db.sessionmaker() as session:
        _, token = await create_api_key(
            session, role=Role(role), department_code=department, name=f"test-{role}"
        )
        await session.commit()
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


_WORDS = (
    "яма",
    "асфальт",
    "фонарь",
    "подъезд",
    "крыша",
    "лифт",
    "отопление",
    "батарея",
    "труба",
    "канализация",
    "контейнер",
    "мусор",
    "снег",
    "наледь",
    "тротуар",
    "светофор",
    "остановка",
    "автобус",
    "парковка",
    "двор",
    "качели",
    "скамейка",
    "дерево",
    "газон",
    "забор",
    "шлагбаум",
    "собака",
    "подвал",
    "чердак",
    "окно",
    "дверь",
    "проводка",
    "счётчик",
    "вода",
    "напор",
    "давление",
    "запах",
    "шум",
    "ремонт",
    "разметка",
    "знак",
    "переход",
    "бордюр",
    "ливнёвка",
    "люк",
    "колодец",
)


def distinct_text() -> str:
    """A text unlike any other builder text, so duplicate detection leaves it alone."""
    return "Обращение: " + " ".join(random.sample(_WORDS, 7)) + f" (№{uuid.uuid4().hex[:6]})"


async def make_ticket(db: Database, **overrides: Any) -> Ticket:
    """A stored ticket; fields of TicketDraft may be overridden (department, category, …)."""
    applicant = overrides.pop(
        "applicant", ApplicantDraft(full_name="Петрова Ольга Игоревна", phone="+79240000000")
    )
    now = overrides.pop("now", datetime.now(UTC))
    fields: dict[str, Any] = {
        "source": "api",
        "source_id": str(uuid.uuid4()),
        "kind": "direct_request",
        "channel": "phone",
        "text": distinct_text(),
        "category_code": "roads",
        "applicant": applicant,
    }
    fields.update(overrides)
    async with db.sessionmaker() as session:
        ticket = await create_from_draft(session, TicketDraft(**fields), actor="test", now=now)
        await session.commit()
    return ticket
