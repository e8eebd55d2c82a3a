"""What the triage page preselects: a department only when routing is sure of it.

Routing's hint for a ticket in triage is often a guess (the model below its threshold, or the
triage department itself); a preselected guess gets sent with one click. The department list
starts blank (a choice is required) unless a rule, the category or the source names the
department, or the model is above its threshold; the guess is shown as a hint either way.
A department that returned the ticket («Вернуть: не наше») is never preselected: routing
would send it straight back; the page says who returned it and why."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.routing import ExplainResult
from app.models.tickets import TicketEvent

SURE = frozenset({"rule", "category", "explicit"})


@dataclass(frozen=True)
class Returned:
    """A department gave the ticket back: its code and the words it gave."""

    department: str
    reason: str


async def returns(
    session: AsyncSession, ticket_ids: Iterable[int | None]
) -> dict[int, list[Returned]]:
    """Every return of each ticket, oldest first (the ``rerouted`` events of «Вернуть»)."""
    ids = sorted({i for i in ticket_ids if i is not None})
    if not ids:
        return {}
    query = (
        select(TicketEvent)
        .where(col(TicketEvent.ticket_id).in_(ids), TicketEvent.type == "rerouted")
        .order_by(col(TicketEvent.at), col(TicketEvent.id))
    )
    found: dict[int, list[Returned]] = {}
    for event in (await session.exec(query)).all():
        data = event.data or {}
        if data.get("method") == "returned" and data.get("department_before"):
            back = Returned(str(data["department_before"]), str(data.get("reason") or ""))
            found.setdefault(event.ticket_id, []).append(back)
    return found


def preselected(
    hint: ExplainResult | None,
    departments: Container[str],
    *,
    min_confidence: float,
    returned: Iterable[Returned] = (),
) -> str:
    """The department to preselect for a ticket, or "" for none."""
    if hint is None or hint.department not in departments:
        return ""
    if hint.department in {r.department for r in returned}:
        return ""
    if hint.method in SURE:
        return hint.department
    sure_model = hint.method == "model" and (hint.confidence or 0.0) >= min_confidence
    return hint.department if sure_model else ""
