"""Reading the city's directory: departments, categories, source category mappings."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound, ValidationFailed
from app.models.directory import Category, CategoryMapping, Department, District


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
    """The department that receives what routing cannot place."""
    row = (await session.exec(select(Department).where(col(Department.is_triage)).limit(1))).first()
    if row is None:
        raise ValidationFailed("the city configuration has no triage department (is_triage)")
    return row


async def fallback_category(session: AsyncSession) -> Category:
    row = (await session.exec(select(Category).where(col(Category.is_fallback)).limit(1))).first()
    if row is None:
        raise ValidationFailed("the city configuration has no fallback category (is_fallback)")
    return row


async def require_category(session: AsyncSession, code: str) -> Category:
    category = await session.get(Category, code)
    if category is None or not category.active:
        raise ValidationFailed(f"category '{code}' does not exist", field="category")
    return category


async def require_district(session: AsyncSession, code: str) -> District:
    district = await session.get(District, code)
    if district is None:
        raise ValidationFailed(f"district '{code}' does not exist", field="district")
    return district


async def resolve_category(
    session: AsyncSession, *, source: str, names: list[str | None]
) -> Category:
    """Map a source's category names (most specific first) onto the taxonomy.

    Unknown names land in the fallback (triage) category: an unmapped category is
    a configuration gap to fix, never a reason to lose the appeal.
    """
    wanted = [n.strip().lower() for n in names if n and n.strip()]
    if wanted:
        rows = await session.exec(
            select(CategoryMapping).where(
                CategoryMapping.source == source, col(CategoryMapping.source_name).in_(wanted)
            )
        )
        by_name = {m.source_name: m.category_code for m in rows.all()}
        for name in wanted:
            if name in by_name:
                category = await session.get(Category, by_name[name])
                if category is not None:
                    return category
    return await fallback_category(session)
