"""The city's reference data, kept per process and checked against one row per use.

Departments, categories, source category mappings, districts (prepared polygons), routing
rules and SLA policies are read for every ingested item and change a few times a year. Each
process keeps one immutable snapshot of them keyed by ``reference_version.token``, a random
uuid that a statement trigger replaces on every write to those tables (migration 0011), so a
change made by any process, the CLI or psql is seen by the next item everywhere: one indexed
one-row read instead of seven queries, and never a stale deadline or route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.directory.district_map import DistrictArea, DistrictMap
from app.errors import ValidationFailed
from app.models.directory import Category, CategoryMapping, Department, District
from app.models.routing import RoutingRule
from app.models.sla import SlaPolicy
from app.routing.rules import RuleSpec, rule_spec
from app.sla.policies import to_rule
from app.sla.rules import PolicyRule

_TOKEN = text("SELECT token FROM reference_version")


@dataclass(frozen=True)
class CategoryRef:
    code: str
    parent_code: str | None
    department_code: str | None
    active: bool
    is_fallback: bool


@dataclass(frozen=True)
class DepartmentRef:
    code: str
    active: bool
    is_triage: bool


@dataclass(frozen=True)
class Reference:
    """One consistent snapshot of the city's directory, rules and policies."""

    token: Any
    departments: dict[str, DepartmentRef]
    categories: dict[str, CategoryRef]
    mappings: dict[tuple[str, str], str]
    rules: tuple[RuleSpec, ...]
    places: DistrictMap
    policies: tuple[PolicyRule, ...]

    @property
    def active_departments(self) -> frozenset[str]:
        return frozenset(code for code, d in self.departments.items() if d.active)

    def triage_department(self) -> str:
        """The active triage department (else any), or the clear configuration error."""
        triage = [d for d in self.departments.values() if d.is_triage]
        for department in sorted(triage, key=lambda d: (not d.active, d.code)):
            return department.code
        raise ValidationFailed("the city configuration has no triage department (is_triage)")

    def fallback_category(self) -> CategoryRef:
        for category in sorted(self.categories.values(), key=lambda c: c.code):
            if category.is_fallback:
                return category
        raise ValidationFailed("the city configuration has no fallback category (is_fallback)")

    def require_category(self, code: str) -> CategoryRef:
        category = self.categories.get(code)
        if category is None or not category.active:
            raise ValidationFailed(f"category '{code}' does not exist", field="category")
        return category

    def resolve_category(self, source: str, names: list[str | None]) -> CategoryRef:
        """Map a source's category names (most specific first) onto the taxonomy.

        Unknown names land in the fallback (triage) category: an unmapped category is a
        configuration gap to fix, never a reason to lose the appeal.
        """
        for name in names:
            wanted = name.strip().lower() if name else ""
            code = self.mappings.get((source, wanted)) if wanted else None
            if code is not None and code in self.categories:
                return self.categories[code]
        return self.fallback_category()

    def dedup_family(self, category: str, department: str | None) -> str:
        """Which tickets may be duplicates of each other: the department a category belongs
        to in the configuration (so ПОС «Теплоснабжение» meets IM «ЖКХ»), its root category
        when it has none, and for the fallback category the department routing chose."""
        ref = self.categories.get(category)
        if ref is None:
            return category
        if ref.is_fallback:
            return f"dept:{department}" if department else category
        if ref.department_code:
            return f"dept:{ref.department_code}"
        return self.category_path(category)[-1]

    def dedup_categories(self, family: str) -> list[str]:
        """The non-fallback categories of one duplicate family."""
        return sorted(
            code
            for code, ref in self.categories.items()
            if not ref.is_fallback and self.dedup_family(code, None) == family
        )

    def category_path(self, code: str) -> tuple[str, ...]:
        """The category and its ancestors, nearest first."""
        path = [code]
        category = self.categories.get(code)
        parent = category.parent_code if category else None
        while parent and parent not in path:
            path.append(parent)
            ancestor = self.categories.get(parent)
            parent = ancestor.parent_code if ancestor else None
        return tuple(path)


_cache: dict[Any, Reference] = {}
_MEMO = "reference_snapshot"


async def current(session: AsyncSession) -> Reference:
    """The snapshot for the token the session sees now (loaded on the first use of a token).

    Checked once per transaction: the steps of one ingestion share what the first one read.
    """
    transaction = session.sync_session.get_transaction()
    memo = session.info.get(_MEMO)
    if transaction is not None and memo is not None and memo[0] is transaction:
        return memo[1]  # type: ignore[no-any-return]
    reference = await _for_token(session)
    session.info[_MEMO] = (session.sync_session.get_transaction(), reference)
    return reference


async def _for_token(session: AsyncSession) -> Reference:
    token = (await session.exec(_TOKEN)).scalar_one()  # type: ignore[call-overload]
    cached = _cache.get(token)
    if cached is not None:
        return cached
    # Two requests may both load a new token once; they build equal snapshots.
    reference = await _load(session, token)
    # Keep it only when no change committed while it was read (read committed: each statement
    # sees its own snapshot); otherwise the next use reads it again.
    if (await session.exec(_TOKEN)).scalar_one() == token:  # type: ignore[call-overload]
        _cache.clear()
        _cache[token] = reference
    return reference


async def _load(session: AsyncSession, token: Any) -> Reference:
    departments = (await session.exec(select(Department))).all()
    categories = (await session.exec(select(Category))).all()
    mappings = (await session.exec(select(CategoryMapping))).all()
    districts = (await session.exec(select(District).order_by(col(District.code)))).all()
    rules = (
        await session.exec(
            select(RoutingRule)
            .where(col(RoutingRule.enabled))
            .order_by(col(RoutingRule.position), col(RoutingRule.id))
        )
    ).all()
    policies = (
        await session.exec(
            select(SlaPolicy).where(col(SlaPolicy.active)).order_by(col(SlaPolicy.position))
        )
    ).all()
    return Reference(
        token=token,
        departments={d.code: DepartmentRef(d.code, d.active, d.is_triage) for d in departments},
        categories={
            c.code: CategoryRef(c.code, c.parent_code, c.department_code, c.active, c.is_fallback)
            for c in categories
        },
        mappings={(m.source, m.source_name): m.category_code for m in mappings},
        rules=tuple(rule_spec(r) for r in rules),
        places=DistrictMap(DistrictArea(d.code, d.polygon, tuple(d.streets)) for d in districts),
        policies=tuple(to_rule(p) for p in policies),
    )
