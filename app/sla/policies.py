"""SLA policies as data: admin CRUD, the ``sla_policies:`` section of the city config, matching."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.directory.city_config import CityConfig
from app.errors import Conflict, NotFound, ValidationFailed
from app.models.common import Unit, utcnow
from app.models.sla import SlaPolicy, SlaPolicyBase, SlaPolicyCreate, SlaPolicyUpdate
from app.sla.rules import PolicyRule, PolicyTerms, Term

# When no policy matches (or none is configured): one working day to react, 30 calendar days
# to resolve. An assumption, not a rule from DOMAIN.md; cities set a catch-all policy instead.
FALLBACK_TERMS = PolicyTerms(
    name="fallback",
    first_response=Term(1, Unit.working_days),
    resolution=Term(30, Unit.calendar_days),
)


def _term_json(term: BaseModel | None) -> dict[str, Any] | None:
    return term.model_dump(mode="json") if term is not None else None


def _fill(row: SlaPolicy, data: SlaPolicyBase) -> None:
    values = data.model_dump(mode="json", exclude={"name"})
    for name in ("first_response", "resolution", "after_interim", "registration"):
        values[name] = _term_json(getattr(data, name))
    for name, value in values.items():
        setattr(row, name, value)


def to_rule(row: SlaPolicy) -> PolicyRule:
    """The pure form of a stored policy."""
    terms = PolicyTerms.from_json(
        {
            "name": row.name,
            "first_response": row.first_response,
            "resolution": row.resolution,
            "after_interim": row.after_interim,
            "use_source_due": row.use_source_due,
            "legal_dates": row.legal_dates,
            "max_extension_days": row.max_extension_days,
            "registration": row.registration,
            "registration_by_hand": row.registration_by_hand,
        }
    )
    return PolicyRule(
        terms=terms,
        position=row.position,
        source=row.source,
        kind=row.kind,
        category=row.category,
        priority=row.priority,
        fast_track=row.fast_track,
    )


async def list_policies(session: AsyncSession) -> list[SlaPolicy]:
    """All policies, in matching order."""
    rows = await session.exec(
        select(SlaPolicy).order_by(col(SlaPolicy.position), col(SlaPolicy.name))
    )
    return list(rows.all())


async def get_policy(session: AsyncSession, policy_id: int) -> SlaPolicy:
    """One policy or 404."""
    row = await session.get(SlaPolicy, policy_id)
    if row is None:
        raise NotFound(f"SLA policy {policy_id} does not exist")
    return row


async def create_policy(session: AsyncSession, data: SlaPolicyCreate) -> SlaPolicy:
    """Add a policy; names are unique."""
    taken = await session.exec(select(SlaPolicy.id).where(SlaPolicy.name == data.name))
    if taken.first() is not None:
        raise Conflict(f"an SLA policy named '{data.name}' exists")
    row = SlaPolicy(name=data.name, origin="api")
    _fill(row, data)
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return row


async def update_policy(session: AsyncSession, policy_id: int, data: SlaPolicyUpdate) -> SlaPolicy:
    """Replace a policy's conditions and terms; running tickets keep their snapshot."""
    row = await get_policy(session, policy_id)
    _fill(row, data)
    row.updated_at = utcnow()
    await session.flush()
    return row


async def delete_policy(session: AsyncSession, policy_id: int) -> None:
    """Remove a policy; tickets already running keep the terms they started with."""
    row = await get_policy(session, policy_id)
    await session.delete(row)
    await session.flush()


# -- city configuration ---------------------------------------------------------------------


class PolicySpec(SlaPolicyBase):
    """One entry of ``sla_policies:`` in the city YAML (conditions under ``match:``)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9_]{1,100}$")
    match: dict[str, Any] = Field(default_factory=dict)

    def as_create(self) -> SlaPolicyCreate:
        unknown = set(self.match) - {"source", "kind", "category", "priority", "fast_track"}
        if unknown:
            raise ValueError(f"policy {self.name}: unknown match keys {sorted(unknown)}")
        fields = self.model_dump(exclude={"match"}) | self.match
        return SlaPolicyCreate.model_validate(fields)


async def apply_config_section(session: AsyncSession, config: CityConfig) -> dict[str, int]:
    """Make the config-owned policies equal to ``sla_policies:``; API-made ones are left alone."""
    raw = (config.model_extra or {}).get("sla_policies")
    if raw is None:
        return {}
    try:
        specs = [PolicySpec.model_validate(item).as_create() for item in raw]
    except (ValidationError, ValueError) as exc:
        raise ValidationFailed(f"sla_policies: {exc}") from exc
    names = Counter(s.name for s in specs)
    if any(n > 1 for n in names.values()):
        raise ValidationFailed("sla_policies: a policy name is used twice")
    counts: Counter[str] = Counter()
    existing = {p.name: p for p in (await session.exec(select(SlaPolicy))).all()}
    for spec in specs:
        row = existing.get(spec.name)
        if row is None:
            row = SlaPolicy(name=spec.name, origin="config")
            _fill(row, spec)
            session.add(row)
            counts["sla_policies_created"] += 1
            continue
        before = _snapshot(row)
        _fill(row, spec)
        row.origin = "config"
        if _snapshot(row) != before:
            row.updated_at = utcnow()
            counts["sla_policies_updated"] += 1
        else:
            counts["unchanged"] += 1
    for name, row in existing.items():
        if row.origin == "config" and name not in names:
            await session.delete(row)
            counts["sla_policies_removed"] += 1
    await session.flush()
    return dict(counts)


def _snapshot(row: SlaPolicy) -> dict[str, Any]:
    return row.model_dump(exclude={"updated_at", "id"})
