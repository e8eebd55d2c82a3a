"""Choosing the department for a new ticket."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.directory import Category, Department
from app.services.directory import triage_department


@dataclass(frozen=True)
class RoutingDecision:
    department_code: str
    method: str  # category | triage | explicit
    reason: str
    is_triage: bool


async def route_new_ticket(
    session: AsyncSession, *, category: Category, explicit_department: str | None = None
) -> RoutingDecision:
    """The category's own department, else the triage queue."""
    if explicit_department:
        dept = await session.get(Department, explicit_department)
        if dept is not None:
            return RoutingDecision(dept.code, "explicit", "set by the caller", dept.is_triage)
    if category.department_code:
        dept = await session.get(Department, category.department_code)
        if dept is not None and dept.active:
            return RoutingDecision(
                dept.code, "category", f"category '{category.code}' belongs here", dept.is_triage
            )
    triage = await triage_department(session)
    return RoutingDecision(triage.code, "triage", "no department for this category", True)
