"""Duplicates on the console: why one was suggested, in words, and a ticket found by its number.

A suggestion stores what detection measured (``app.dedup.score.Score.reasons``: how the places
matched, the distance, how alike the texts are, whether the problem vocabulary agrees). Older
rows without it are measured again from the two tickets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.access.visibility import sees
from app.console.redisplay import Unconfirmed
from app.dedup.detection import view_of
from app.dedup.score import distance_m, duplicate_score
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket

PLACE_BY = {
    "address": "один и тот же дом (или перекрёсток) в адресе",
    "street": "одна улица, дом назван не в обоих",
}
PROBLEM = {
    "same": "по словарю проблем — одна и та же проблема",
    "different": "по словарю проблем — разные проблемы",
}


def _metres(value: Any) -> str:
    return f"{float(value):.0f} м"


def measured(a: Ticket, b: Ticket) -> dict[str, Any]:
    """What detection would record for the pair now (place and text), for a row without it."""
    score = duplicate_score(view_of(a, "same"), view_of(b, "same"))
    if score is not None:
        return score.reasons()
    found: dict[str, Any] = {}
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        found = {"place_by": "point", "distance_m": distance_m(a.lat, a.lon, b.lat, b.lon)}
    elif a.address_key and a.address_key == b.address_key:
        found = {"place_by": "address"}
    return found


def why(reasons: Mapping[str, Any]) -> str:
    """Why the pair looks like one problem: the place, the distance, the texts."""
    parts = []
    place_by, metres = reasons.get("place_by"), reasons.get("distance_m")
    if place_by in PLACE_BY:
        place = PLACE_BY[place_by]
        parts.append(
            place + (f" (точки на карте в {_metres(metres)})" if metres is not None else "")
        )
    elif metres is not None:
        parts.append(f"места в {_metres(metres)} друг от друга")
    if reasons.get("text") is not None:
        parts.append(f"тексты похожи на {float(reasons['text']) * 100:.0f} %")
    if reasons.get("problem") in PROBLEM:
        parts.append(PROBLEM[reasons["problem"]])
    return "; ".join(parts) or "место и текст не сравнить: у обращений нет адреса или координат"


def suggestion_why(suggestion: DuplicateSuggestion, a: Ticket, b: Ticket) -> str:
    """The stored reasons of a suggestion in words (measured again when none were stored)."""
    return why(suggestion.reasons or measured(a, b))


async def suggested_reasons(session: AsyncSession, ticket: Ticket) -> dict[int, str]:
    """Why each open suggestion of ``ticket`` was made, by the other ticket's id."""
    rows = (
        await session.exec(
            select(DuplicateSuggestion).where(
                DuplicateSuggestion.status == "open",
                (col(DuplicateSuggestion.ticket_id) == ticket.id)
                | (col(DuplicateSuggestion.candidate_id) == ticket.id),
            )
        )
    ).all()
    out: dict[int, str] = {}
    for row in rows:
        other_id = row.candidate_id if row.ticket_id == ticket.id else row.ticket_id
        other = await session.get(Ticket, other_id)
        if other is not None:
            out[other_id] = suggestion_why(row, ticket, other)
    return out


async def visible_by_number(session: AsyncSession, principal: Principal, number: str) -> int:
    """The id of the ticket numbered ``number`` (any case, spaces around ignored) that the
    person sees; else the console's refusal in Russian."""
    wanted = number.strip().upper()
    if not wanted:
        raise Unconfirmed("Укажите номер основного обращения, например SD-2026-000070.")
    row = (await session.exec(select(Ticket).where(col(Ticket.number) == wanted))).first()
    if row is None or row.id is None or not sees(principal, row.department_code):
        raise Unconfirmed(f"Обращение {wanted} не найдено среди доступных вам.")
    return row.id
