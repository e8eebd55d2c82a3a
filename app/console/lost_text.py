"""Typed words the page can no longer take back: the form they were typed into is gone.

A refused form comes back filled (``console.redisplay``). But when the ticket changed in
another tab (answered there, say), the page as it is now may not offer that form at all: a
reason typed for «Отклонить» would vanish. Then the page shows what was typed read-only
(«Ваш текст не сохранён») so it can be copied. Which forms the page offers is decided here once
and the template asks, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from app.console.typed import Typed
from app.models.common import OPEN_STATUSES, Kind, Status
from app.models.tickets import Ticket

# The ticket page's forms by their action, named as their headings read.
FORM_NAMES = {
    "take": "Взять в работу",
    "answer": "Ответ гражданину",
    "hold": "Приостановить",
    "reject": "Отклонить",
    "return": "Вернуть: не наше",
    "extend": "Продлить срок",
    "merge": "Отметить как дубликат",
    "assign": "Исполнитель",
    "comment": "Комментарий для коллег",
}
# The fields a person writes words into (choices and numbers are quickly made again).
WORDS = {"text": "Текст", "reason": "Причина", "redirect_to": "Надлежащий адресат"}


def offered(ticket: Ticket) -> frozenset[str]:
    """The forms the ticket page shows for the ticket in its present status."""
    status = Status(ticket.status)
    forms = {"comment"}
    if status in OPEN_STATUSES:
        forms |= {"answer", "reject", "return", "merge", "assign"}
        if status in (Status.new, Status.routed, Status.on_hold):
            forms.add("take")
        if status != Status.on_hold:
            forms.add("hold")
        if ticket.kind == Kind.fz59_appeal and not ticket.extension_count:
            forms.add("extend")
    return frozenset(forms)


@dataclass(frozen=True)
class Lost:
    form: str  # the heading of the form that is gone
    texts: list[tuple[str, str]]  # (field, what was typed)


def lost(typed: Typed | None, forms: frozenset[str]) -> Lost | None:
    """What was typed into a refused form the page no longer offers (None when the form is
    there to be filled again, or nothing worth keeping was typed)."""
    if typed is None or not typed.action or typed.action in forms:
        return None
    texts = [
        (label, typed.fields[name].strip())
        for name, label in WORDS.items()
        if typed.fields.get(name, "").strip()
    ]
    if not texts:
        return None
    return Lost(FORM_NAMES.get(typed.action, typed.action), texts)
