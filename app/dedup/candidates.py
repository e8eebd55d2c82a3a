"""Duplicate candidates of new tickets: every new ticket of a batch asked in one statement.

For each new ticket: open tickets of its duplicate family within 250 m (its address, its
street, or a box around its point) made in the 14 days before it, and tickets of its family
closed here in the last 90 days within 100 m. Each new ticket's question is a ``LATERAL``
subquery over the partial indexes of migration 0007, so one round trip answers a whole intake
batch. A ticket of the same batch made after the asking one is not its candidate: the answer is
what the asker would have found had the batch's tickets been made one by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.dedup.place import has_house, street_of
from app.dedup.score import REPEAT_WINDOW, WINDOW, TicketView, bounding_box
from app.directory import reference
from app.models.common import Kind

_FIELDS = (
    "t.id, t.category_code, t.text, t.created_at, t.lat, t.lon, t.address_key, t.department_code, "
    "t.kind"
)
# One duplicate family (Reference.dedup_family): its categories, and the fallback category's
# tickets that routing gave to the same department. The categories are one array (the fallback
# among them when the family is a department's) so that each lands in the index's first column.
_FAMILY = (
    "t.category_code = ANY(string_to_array(n.categories, ',')) "
    "AND (t.category_code <> :fallback OR t.department_code = n.department)"
)
_NOT_LATER = "NOT (t.id >= n.id AND t.id = ANY(CAST(:batch AS bigint[])))"
_NEAR = (
    "(t.lat IS NOT NULL AND t.lat BETWEEN n.{p}lat_min AND n.{p}lat_max "
    "AND t.lon BETWEEN n.{p}lon_min AND n.{p}lon_max)"
)
_BOX = ["lat_min", "lat_max", "lon_min", "lon_max"]
_COLUMNS = [
    ("id", "bigint"),
    ("categories", "text"),
    ("department", "text"),
    ("key", "text"),
    ("street", "text"),
    ("open_since", "timestamptz"),
    *[(f"o_{b}", "float8") for b in _BOX],
    ("closed_since", "timestamptz"),
    *[(f"c_{b}", "float8") for b in _BOX],
]
# The status lists are literal so the planner can use the partial indexes of migration 0007.
CANDIDATES = text(
    "WITH n AS (SELECT * FROM unnest("
    + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in _COLUMNS)
    + ") AS n("
    + ", ".join(c for c, _ in _COLUMNS)
    + ")) "
    f"SELECT n.id, 'open', o.* FROM n CROSS JOIN LATERAL (SELECT {_FIELDS} FROM tickets t "
    "WHERE t.status IN ('new','routed','in_progress','on_hold') AND " + _FAMILY + " "
    f"AND t.id <> n.id AND {_NOT_LATER} AND t.created_at >= n.open_since AND ("
    # One ScalarArrayOp, not "= key OR = street": the OR kept the address out of the index
    # condition, and each asker scanned every open ticket of its family in the window.
    "t.address_key = ANY(ARRAY[n.key, n.street]) OR "
    + _NEAR.format(p="o_")
    + ") ORDER BY t.created_at DESC LIMIT 50) o "
    "UNION ALL "
    f"SELECT n.id, 'closed', c.* FROM n CROSS JOIN LATERAL (SELECT {_FIELDS} FROM tickets t "
    "WHERE t.status = 'closed' AND " + _FAMILY + f" AND {_NOT_LATER} "
    "AND t.closed_at >= n.closed_since AND ("
    "(t.address_key IS NOT NULL AND t.address_key = n.key) OR "
    + _NEAR.format(p="c_")
    + ") ORDER BY t.closed_at DESC LIMIT 20) c"
)


@dataclass
class Found:
    """One new ticket's candidates: open ones (newest first) and recently closed ones."""

    open: list[TicketView] = field(default_factory=list)
    closed: list[TicketView] = field(default_factory=list)


@dataclass(frozen=True)
class Asking:
    """A new ticket as the candidate search sees it: ``department`` is the one routing chose,
    ``now`` the moment it was made (closed tickets are looked for in the 90 days before)."""

    view: TicketView
    department: str | None
    now: datetime


def _box(view: TicketView, metres: float) -> list[float | None]:
    if view.lat is None or view.lon is None:
        return [None] * 4
    return list(bounding_box(view.lat, view.lon, metres))


def candidate_params(
    asking: Sequence[Asking], ref: reference.Reference, *, batch: Sequence[int]
) -> dict[str, object]:
    """The parameters of ``CANDIDATES`` for these tickets (``find_candidates``)."""
    columns: dict[str, list[object]] = {c: [] for c, _ in _COLUMNS}
    for a in asking:
        view = a.view
        family = view.category
        department = family.removeprefix("dept:") if family.startswith("dept:") else None
        key = view.address_key
        categories = ref.dedup_categories(family)
        if department is not None:
            categories = [*categories, ref.fallback_category().code]
        values: list[object] = [
            view.id,
            ",".join(categories),
            department,
            key,
            # A report of a house also finds reports of its whole street (scored as the street).
            street_of(key) if has_house(key) else None,
            view.created_at - WINDOW,
            *_box(view, 250.0),
            a.now - REPEAT_WINDOW,
            *_box(view, 100.0),
        ]
        for (name, _), value in zip(_COLUMNS, values, strict=True):
            columns[name].append(value)
    return {**columns, "fallback": ref.fallback_category().code, "batch": list(batch)}


async def find_candidates(
    session: AsyncSession,
    asking: Sequence[Asking],
    ref: reference.Reference,
    *,
    batch: Sequence[int],
) -> dict[int, Found]:
    """Each asking ticket's candidates, by its id; ``batch``: the ids of every ticket made in
    this transaction (the later ones are not candidates of the earlier ones)."""
    params = candidate_params(asking, ref, batch=batch)
    rows = (await session.exec(CANDIDATES, params=params)).all()  # type: ignore[call-overload]
    found: dict[int, Found] = defaultdict(Found)
    for r in rows:
        family_of = ref.dedup_family(r[3], r[9])
        view = TicketView(
            r[2], family_of, r[4], r[5], r[6], r[7], r[8], legal=r[10] == Kind.fz59_appeal
        )
        getattr(found[r[0]], r[1]).append(view)
    return found
