"""Who sees which ticket, and which link between two tickets: the one rule of the API and the
console alike.

A ticket is seen by its own department and by admins. A link (a ticket's main one, a duplicate
merged into it, a repeat, a suggested duplicate) names another ticket, so it is shown only to a
viewer who sees *both* tickets. The one exception is a suggested duplicate across departments:
neither department alone may see the other's ticket, so the suggestion goes to those who decide
across departments — admins and the triage department — with both sides shown to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, and_, bindparam, or_, true
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.models.directory import Department
from app.models.tickets import Ticket


def sees(principal: Principal, department_code: str | None) -> bool:
    """The principal may see a ticket of this department."""
    return principal.sees_all_departments or (
        department_code is not None and department_code == principal.department_code
    )


Column = Mapped[str] | ColumnElement[str]


def seen_in_sql(principal: Principal, department: Column) -> ColumnElement[bool]:
    """``sees`` as a condition on a department column (the department is the bound parameter
    ``viewer_department``: a statement compiled once serves every viewer, app.tickets.pages)."""
    if principal.sees_all_departments:
        return true()
    return department == bindparam("viewer_department", principal.department_code, String())


@dataclass(frozen=True)
class Viewer:
    """A principal and whether it works in the triage department (asked once per request)."""

    principal: Principal
    triage: bool = False


async def viewer_for(session: AsyncSession, principal: Principal) -> Viewer:
    """The principal as a viewer of links (is its department the triage one?)."""
    if principal.sees_all_departments or principal.department_code is None:
        return Viewer(principal)
    department = await session.get(Department, principal.department_code)
    return Viewer(principal, triage=bool(department and department.is_triage))


def sees_link(viewer: Viewer, one: str | None, other: str | None, *, suggested: bool) -> bool:
    """A link between tickets of departments ``one`` and ``other`` is shown to the viewer: it
    sees both, or it is a ``suggested`` duplicate across departments and the viewer triages."""
    if sees(viewer.principal, one) and sees(viewer.principal, other):
        return True
    return suggested and viewer.triage and one != other


def link_seen_in_sql(
    viewer: Viewer, one: Column, other: Column, *, suggested: bool
) -> ColumnElement[bool]:
    """``sees_link`` as a condition on the two tickets' department columns."""
    both = and_(seen_in_sql(viewer.principal, one), seen_in_sql(viewer.principal, other))
    if suggested and viewer.triage:
        return or_(both, one != other)
    return both


async def seen_ids(session: AsyncSession, principal: Principal, ids: Iterable[object]) -> set[int]:
    """Which of these ticket ids the principal sees (at most one query). For the links of a
    ticket the viewer already sees, an id in this set is a link ``sees_link`` shows."""
    wanted = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
    if not wanted or principal.sees_all_departments:
        return wanted
    query = select(Ticket.id).where(
        col(Ticket.id).in_(wanted), seen_in_sql(principal, col(Ticket.department_code))
    )
    return {i for i in (await session.exec(query)).all() if i is not None}
