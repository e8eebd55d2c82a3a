"""Choosing the department for a ticket: the database side of the pure rule engine."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import get_settings
from app.models.directory import Category, Department, District
from app.models.routing import ExplainRequest, ExplainResult, NearMiss, RoutingRule, RuleRef
from app.services import directory, routing_admin, routing_model
from app.services.district_map import DistrictArea, DistrictMap
from app.services.drafts import TicketDraft
from app.services.routing_rules import RoutingDecision, RuleSpec, TicketFacts, decide

__all__ = ["RoutingDecision", "explain", "route_new_ticket"]

# Importing routing_admin registers the ``routing_rules:`` city config section.
CONFIG_HOOK = routing_admin.apply_config_rules


def rule_spec(row: RoutingRule) -> RuleSpec:
    return RuleSpec(
        id=row.id,
        name=row.name,
        department=row.department_code,
        sources=frozenset(row.sources),
        kinds=frozenset(row.kinds),
        channels=frozenset(row.channels),
        categories=frozenset(row.categories),
        districts=frozenset(row.districts),
        priorities=frozenset(row.priorities),
        keywords=tuple(row.keywords),
    )


async def load_rules(session: AsyncSession) -> list[RuleSpec]:
    """Enabled rules in evaluation order."""
    rows = await session.exec(
        select(RoutingRule)
        .where(col(RoutingRule.enabled))
        .order_by(col(RoutingRule.position), col(RoutingRule.id))
    )
    return [rule_spec(r) for r in rows.all()]


_maps: dict[tuple[tuple[str, str], ...], DistrictMap] = {}


async def district_map(session: AsyncSession) -> DistrictMap:
    """The districts with prepared polygons, rebuilt only when the directory changes."""
    rows = list((await session.exec(select(District).order_by(col(District.code)))).all())
    key = tuple((d.code, d.updated_at.isoformat()) for d in rows)
    if key not in _maps:
        _maps.clear()
        _maps[key] = DistrictMap(DistrictArea(d.code, d.polygon, tuple(d.streets)) for d in rows)
    return _maps[key]


async def category_path(session: AsyncSession, category: Category) -> tuple[str, ...]:
    """The category and its ancestors, nearest first."""
    path = [category.code]
    parent = category.parent_code
    while parent and parent not in path:
        path.append(parent)
        row = await session.get(Category, parent)
        parent = row.parent_code if row is not None else None
    return tuple(path)


async def _active_departments(session: AsyncSession) -> dict[str, Department]:
    rows = await session.exec(select(Department).where(col(Department.active)))
    return {d.code: d for d in rows.all()}


async def _decide(session: AsyncSession, facts: TicketFacts, category: Category) -> RoutingDecision:
    departments = await _active_departments(session)
    triage = next((d.code for d in departments.values() if d.is_triage), None)
    if triage is None:
        triage = (await directory.triage_department(session)).code  # raises the clear error
    return decide(
        facts,
        await load_rules(session),
        category_department=category.department_code,
        triage_department=triage,
        suggest=routing_model.suggest,
        min_confidence=get_settings().routing_model_min_confidence,
        active_departments=frozenset(departments),
    )


async def route_new_ticket(
    session: AsyncSession,
    *,
    category: Category,
    explicit_department: str | None = None,
    draft: TicketDraft | None = None,
) -> RoutingDecision:
    """Explicit department, else the first matching rule, the category's department, a
    confident model suggestion, or triage. Places the ticket in a district on the way."""
    district = draft.district_code if draft is not None else None
    if draft is not None and district is None:
        places = await district_map(session)
        district, _ = places.locate(lat=draft.lat, lon=draft.lon, address=draft.address)
    if explicit_department:
        dept = await session.get(Department, explicit_department)
        if dept is not None:
            return RoutingDecision(
                dept.code,
                "explicit",
                "set by the caller",
                dept.is_triage,
                district_code=district,
            )
    facts = TicketFacts(
        source=draft.source if draft else "api",
        kind=draft.kind if draft else "direct_request",
        channel=draft.channel if draft else "other",
        category_path=await category_path(session, category),
        text=draft.text if draft else "",
        district=district,
        priority=draft.priority if draft else "normal",
    )
    return await _decide(session, facts, category)


def _ref(rule: RuleSpec) -> RuleRef:
    return RuleRef(id=rule.id, name=rule.name, department=rule.department)


async def explain(session: AsyncSession, data: ExplainRequest) -> ExplainResult:
    """Where a ticket-shaped payload would go, by which rule, and which rules almost matched."""
    if data.category:
        category = await directory.require_category(session, data.category)
    else:
        category = await directory.resolve_category(
            session, source=data.source.value, names=[data.source_category]
        )
    district, found_by = data.district, "given"
    if district is not None:
        await directory.require_district(session, district)
    else:
        places = await district_map(session)
        district, found_by = places.locate(lat=data.lat, lon=data.lon, address=data.address)
    facts = TicketFacts(
        source=data.source.value,
        kind=data.kind.value,
        channel=data.channel.value,
        category_path=await category_path(session, category),
        text=data.text,
        district=district,
        priority=data.priority.value,
    )
    decision = await _decide(session, facts, category)
    rule = None
    if decision.rule_name is not None:
        rule = RuleRef(
            id=decision.rule_id, name=decision.rule_name, department=decision.department_code
        )
    return ExplainResult(
        department=decision.department_code,
        method=decision.method,
        reason=decision.reason,
        rule=rule,
        category=category.code,
        district=district,
        district_found_by=found_by,
        confidence=decision.confidence,
        near_misses=[
            NearMiss(rule=_ref(c.rule), failed=list(c.failed), details=list(c.details))
            for c in decision.near_misses
        ],
    )
