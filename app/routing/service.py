"""Choosing the department for a ticket: the database side of the pure rule engine."""

from __future__ import annotations

from functools import partial
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings, settings_of
from app.directory import reference
from app.directory import service as directory
from app.models.drafts import TicketDraft
from app.models.routing import ExplainRequest, ExplainResult, NearMiss, RuleRef
from app.routing import model as routing_model
from app.routing.rules import RoutingDecision, RuleSpec, TicketFacts, decide

__all__ = ["RoutingDecision", "decide_for_draft", "explain", "route_new_ticket"]


class CategoryLike(Protocol):
    """A stored category or its cached form: what routing reads of it."""

    @property
    def code(self) -> str: ...

    @property
    def department_code(self) -> str | None: ...


def _decide(
    ref: reference.Reference, facts: TicketFacts, category: CategoryLike, *, settings: Settings
) -> RoutingDecision:
    return decide(
        facts,
        list(ref.rules),
        category_department=category.department_code,
        triage_department=ref.triage_department(),
        suggest=partial(routing_model.suggest, data_dir=settings.data_dir),
        min_confidence=settings.routing_model_min_confidence,
        active_departments=ref.active_departments,
    )


async def route_new_ticket(
    session: AsyncSession,
    *,
    category: CategoryLike,
    explicit_department: str | None = None,
    draft: TicketDraft | None = None,
) -> RoutingDecision:
    """Explicit department, else the first matching rule, the category's department, a
    confident model suggestion, or triage. Places the ticket in a district on the way."""
    ref = await reference.current(session)
    return decide_for_draft(
        ref,
        settings_of(session),
        category=category,
        explicit_department=explicit_department,
        draft=draft,
    )


def decide_for_draft(
    ref: reference.Reference,
    settings: Settings,
    *,
    category: CategoryLike,
    explicit_department: str | None = None,
    draft: TicketDraft | None = None,
) -> RoutingDecision:
    """``route_new_ticket`` with the reference data at hand (no database)."""
    district = draft.district_code if draft is not None else None
    if draft is not None and district is None:
        district, _ = ref.places.locate(lat=draft.lat, lon=draft.lon, address=draft.address)
    if explicit_department:
        dept = ref.departments.get(explicit_department)
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
        category_path=ref.category_path(category.code),
        text=draft.text if draft else "",
        district=district,
        priority=draft.priority if draft else "normal",
    )
    return _decide(ref, facts, category, settings=settings)


def _ref(rule: RuleSpec) -> RuleRef:
    return RuleRef(id=rule.id, name=rule.name, department=rule.department)


async def explain(session: AsyncSession, data: ExplainRequest) -> ExplainResult:
    """Where a ticket-shaped payload would go, by which rule, and which rules almost matched."""
    ref = await reference.current(session)
    if data.category:
        category = ref.require_category(data.category)
    else:
        category = ref.resolve_category(data.source.value, [data.source_category])
    district, found_by = data.district, "given"
    if district is not None:
        await directory.require_district(session, district)
    else:
        district, found_by = ref.places.locate(lat=data.lat, lon=data.lon, address=data.address)
    facts = TicketFacts(
        source=data.source.value,
        kind=data.kind.value,
        channel=data.channel.value,
        category_path=ref.category_path(category.code),
        text=data.text,
        district=district,
        priority=data.priority.value,
    )
    decision = _decide(ref, facts, category, settings=settings_of(session))
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
