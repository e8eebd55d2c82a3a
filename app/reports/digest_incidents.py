"""The week's mass incidents for the digest «Глава в ответе»: each incident that was open during
the week (dismissed ones are not incidents), with its title, its area (district and streets,
never a house or a flat: ``Incident.streets`` holds street keys only, shown as the tickets
wrote them), its tickets by source,
status, the public message (scrubbed as any quote) and how long citizens waited for the first
message after the first ticket."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.types import DateTime
from sqlmodel.ext.asyncio.session import AsyncSession

from app.dedup.place import street_name, tokens
from app.reports.scrub import scrub_quote

# Statuses in the digest's words (a dismissed incident is not in it).
STATUS = {
    "suspected": "проверяется",
    "confirmed": "подтверждён, идут работы",
    "resolving": "устраняется",
    "resolved": "устранён",
}
SOURCE = {
    "feedback_platform": "ПОС (Госуслуги)",
    "incident_management": "соцсети",
    "chatbot": "чат-бот",
    "open311": "Open311",
    "api": "звонки и приём",
}
LIMIT = 10

# Open at some moment of the week: its first ticket before the week's end, and not closed
# before the week began (a dismissed incident is none).
WEEK_WHERE = """
WHERE i.status <> 'dismissed'
  AND i.window_start_at < :end
  AND (i.closed_at IS NULL OR i.closed_at >= :start)
  AND (CAST(:dept AS text) IS NULL OR i.departments ? CAST(:dept AS text))
"""
# One row per incident with its district's name, its tickets (linked now) by source and its
# first message's time; the largest ``LIMIT``.
WEEK_INCIDENTS = f"""
SELECT i.id, i.title, i.status, d.name, i.streets, i.window_start_at, i.public_message,
       (SELECT min(m.created_at) FROM incident_messages m WHERE m.incident_id = i.id),
       (SELECT coalesce(jsonb_object_agg(s.source, s.n), '{{}}'::jsonb) FROM (
            SELECT t.source, count(*) AS n FROM incident_tickets l
            JOIN tickets t ON t.id = l.ticket_id
            WHERE l.incident_id = i.id AND l.unlinked_at IS NULL GROUP BY t.source) s),
       (SELECT coalesce(array_agg(DISTINCT t.address), '{{}}') FROM incident_tickets l
            JOIN tickets t ON t.id = l.ticket_id
            WHERE l.incident_id = i.id AND l.unlinked_at IS NULL AND t.address IS NOT NULL)
FROM incidents i
LEFT JOIN districts d ON d.code = i.district_code
{WEEK_WHERE}ORDER BY i.ticket_count DESC, i.id
LIMIT :limit
"""


# The same incidents counted whole (the listing above stops at ``LIMIT``): all, confirmed by an
# operator (confirmed, resolving, resolved), still being checked (suspected), and those whose
# citizens got the one message.
WEEK_TOTALS = f"""
SELECT count(*),
       count(*) FILTER (WHERE i.status <> 'suspected'),
       count(*) FILTER (WHERE i.status = 'suspected'),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM incident_messages m
                                      WHERE m.incident_id = i.id))
FROM incidents i
{WEEK_WHERE}
"""


@dataclass(frozen=True)
class IncidentTotals:
    """How many incidents the week had: all of them, not only the listed ones."""

    total: int = 0
    confirmed: int = 0
    checking: int = 0  # suspected: detection's guess an operator has not confirmed yet
    with_message: int = 0  # their citizens got one message for all


@dataclass
class WeekIncident:
    title: str
    area: str
    status: str
    tickets: int
    by_source: dict[str, int] = field(default_factory=dict)  # Russian source name → tickets
    message: str | None = None
    first_message_minutes: int | None = None  # first ticket → first message


# Words of a region, a city or a district in an address («Приморский край, г. Спасск-Дальний»):
# such a part is never shown as a street.
_NOT_STREET = frozenset(
    ["край", "область", "обл", "республика", "респ", "г", "город", "гор", "округ", "район", "р-н"]
)
# Where a street's name ends in an address part: a house, a flat, a block.
_HOUSE_WORD = re.compile(r"^(?:д|дом|кв|квартира|корп|корпус|стр|строение|под|подъезд)\b\.?", re.I)


def _street_part(part: str) -> str:
    """The street of one address part, its house and flat cut off («ул. Ленина 5, кв. 3» →
    «ул. Ленина»); a number that is part of the name stays («ул. 50 лет Октября», «1-я
    Садовая»)."""
    words = part.split()
    kept: list[str] = []
    for i, word in enumerate(words):
        after = words[i + 1].lower() if i + 1 < len(words) else ""
        if _HOUSE_WORD.match(word) or (word[:1].isdigit() and "-" not in word and after != "лет"):
            break
        kept.append(word)
    return " ".join(kept).strip(" ,;")


def street_names(streets: Sequence[str], addresses: Sequence[str]) -> list[str]:
    """The streets as the tickets wrote them («ул. Ленина» for the key ``ленин``,
    «ул. Советская» for ``советский``): the address part whose street (the address parsing's
    own lemmas, ``app.dedup.place``) is the key, never its house or flat, never a region or a
    city. A key no address spells is left out (a lemma is not a street's name)."""
    written: dict[str, str] = {}
    for address in sorted(addresses):
        for part in address.split(","):
            name = _street_part(part)
            words = {w.lower() for w in name.split()} | {w.lower().strip(".") for w in name.split()}
            if not name or words & _NOT_STREET:
                continue
            key = street_name(tokens(name))
            if key and key not in written:
                written[key] = name
    return [written[key] for key in streets if key in written]


def area(district: str | None, streets: Sequence[str], addresses: Sequence[str] = ()) -> str:
    """«Центральный район, ул. Ленина, ул. Мира»: the district and at most five streets."""
    parts = [district] if district else []
    named = street_names(streets, addresses)
    parts += named[:5]
    if len(named) > 5:
        parts[-1] += f" и ещё {len(named) - 5}"
    return ", ".join(parts) or "место не указано"


def waited(minutes: int | None) -> str:
    """«1 ч 20 мин», «45 мин»; «—» when no message went out."""
    if minutes is None:
        return "—"
    hours, rest = divmod(minutes, 60)
    return f"{hours} ч {rest} мин" if hours else f"{rest} мин"


async def week_incidents(session: AsyncSession, params: Mapping[str, object]) -> list[WeekIncident]:
    """The week's incidents, the largest first (``params``: the digest's start, end, dept)."""
    stmt = text(WEEK_INCIDENTS).bindparams(
        bindparam("start", type_=DateTime(timezone=True)),
        bindparam("end", type_=DateTime(timezone=True)),
    )
    values = {k: params[k] for k in ("start", "end", "dept")}
    rows = (await session.exec(stmt, params={**values, "limit": LIMIT})).all()  # type: ignore[call-overload]
    found = []
    for row in rows:
        _id, title, status, district, streets, first_ticket, message, first_message, by, where = row
        counts = {SOURCE.get(s, s): int(n) for s, n in sorted(by.items(), key=lambda x: -x[1])}
        found.append(
            WeekIncident(
                title=scrub_quote(title),
                area=area(district, list(streets or []), list(where or [])),
                status=STATUS.get(status, status),
                tickets=sum(counts.values()),
                by_source=counts,
                message=scrub_quote(message)[:600] if message else None,
                first_message_minutes=_minutes(first_ticket, first_message),
            )
        )
    return found


async def week_totals(session: AsyncSession, params: Mapping[str, object]) -> IncidentTotals:
    """The week's incidents counted whole (``params`` as for ``week_incidents``)."""
    stmt = text(WEEK_TOTALS).bindparams(
        bindparam("start", type_=DateTime(timezone=True)),
        bindparam("end", type_=DateTime(timezone=True)),
    )
    values = {k: params[k] for k in ("start", "end", "dept")}
    row = (await session.exec(stmt, params=values)).one()  # type: ignore[call-overload]
    return IncidentTotals(*(int(n) for n in row))


def _minutes(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds() // 60))
