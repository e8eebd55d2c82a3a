"""Reading the city's directory: departments, categories, districts.

Source category names are mapped, and the triage department chosen, by the cached reference
snapshot (``reference.Reference``): one rule for routing and for everything else.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.directory import reference
from app.errors import NotFound, ValidationFailed
from app.models.directory import Category, Department, District


async def list_departments(session: AsyncSession) -> list[Department]:
    """Every department, active first, by code."""
    rows = await session.exec(select(Department).order_by(col(Department.code)))
    return list(rows.all())


async def get_department(session: AsyncSession, code: str) -> Department:
    department = await session.get(Department, code)
    if department is None:
        raise NotFound(f"department '{code}' does not exist")
    return department


async def list_categories(session: AsyncSession) -> list[Category]:
    """The normalised taxonomy, by code."""
    rows = await session.exec(select(Category).order_by(col(Category.code)))
    return list(rows.all())


async def list_districts(session: AsyncSession) -> list[District]:
    rows = await session.exec(select(District).order_by(col(District.code)))
    return list(rows.all())


async def triage_department(session: AsyncSession) -> Department:
    """The department that receives what routing cannot place (the rule routing uses)."""
    return await get_department(session, (await reference.current(session)).triage_department())


async def require_district(session: AsyncSession, code: str) -> District:
    district = await session.get(District, code)
    if district is None:
        raise ValidationFailed(f"district '{code}' does not exist", field="district")
    return district
