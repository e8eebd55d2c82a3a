"""Routing rules as data: admin CRUD and the ``routing_rules:`` section of the city config."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.directory.city_config import CityConfig
from app.errors import Conflict, NotFound, ValidationFailed
from app.models.common import utcnow
from app.models.directory import Category, Department, District
from app.models.routing import RoutingRule, RoutingRuleIn, RoutingRulePublic
from app.routing.keywords import DECISIVE

_FIELDS = ("sources", "kinds", "channels", "categories", "districts", "priorities", "keywords")


def rule_public(row: RoutingRule) -> RoutingRulePublic:
    assert row.id is not None
    return RoutingRulePublic(
        id=row.id,
        name=row.name,
        department=row.department_code,
        position=row.position,
        enabled=row.enabled,
        sources=row.sources,  # type: ignore[arg-type]
        kinds=row.kinds,  # type: ignore[arg-type]
        channels=row.channels,  # type: ignore[arg-type]
        categories=row.categories,
        districts=row.districts,
        priorities=row.priorities,  # type: ignore[arg-type]
        keywords=row.keywords,
        description=row.description,
        origin=row.origin,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _check_references(session: AsyncSession, data: RoutingRuleIn) -> None:
    department = await session.get(Department, data.department)
    if department is None or not department.active:
        raise ValidationFailed(f"department '{data.department}' does not exist", field="department")
    for model, codes, name in (
        (Category, data.categories, "categories"),
        (District, data.districts, "districts"),
    ):
        if codes:
            found = set(
                (await session.exec(select(model.code).where(col(model.code).in_(codes)))).all()
            )  # type: ignore[attr-defined]
            missing = sorted(set(codes) - found)
            if missing:
                raise ValidationFailed(f"unknown {name}: {', '.join(missing)}", field=name)
    if any(not k.strip().removeprefix(DECISIVE).strip() for k in data.keywords):
        raise ValidationFailed("a keyword cannot be empty", field="keywords")


def _columns(data: RoutingRuleIn) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": data.name.strip(),
        "department_code": data.department,
        "enabled": data.enabled,
        "description": data.description,
    }
    for name in _FIELDS:
        values[name] = [str(getattr(v, "value", v)).strip() for v in getattr(data, name)]
    return values


async def list_rules(session: AsyncSession) -> list[RoutingRule]:
    """Every rule in evaluation order (disabled ones included)."""
    rows = await session.exec(
        select(RoutingRule).order_by(col(RoutingRule.position), col(RoutingRule.id))
    )
    return list(rows.all())


async def get_rule(session: AsyncSession, rule_id: int) -> RoutingRule:
    row = await session.get(RoutingRule, rule_id)
    if row is None:
        raise NotFound(f"routing rule {rule_id} does not exist")
    return row


async def _name_taken(session: AsyncSession, name: str, rule_id: int | None) -> None:
    row = (await session.exec(select(RoutingRule).where(RoutingRule.name == name))).first()
    if row is not None and row.id != rule_id:
        raise Conflict(f"a routing rule named «{name}» already exists", rule_id=row.id)


async def create_rule(session: AsyncSession, data: RoutingRuleIn) -> RoutingRule:
    """Add a rule; without a position it goes last."""
    await _check_references(session, data)
    await _name_taken(session, data.name.strip(), None)
    position = data.position
    if position is None:
        top = (await session.exec(select(func.max(RoutingRule.position)))).one()
        position = (top or 0) + 10
    row = RoutingRule(**_columns(data), position=position, origin="api")
    session.add(row)
    await session.flush()
    return row


async def update_rule(session: AsyncSession, rule_id: int, data: RoutingRuleIn) -> RoutingRule:
    """Replace a rule's conditions, target and (when given) position."""
    row = await get_rule(session, rule_id)
    await _check_references(session, data)
    await _name_taken(session, data.name.strip(), rule_id)
    for key, value in _columns(data).items():
        setattr(row, key, value)
    if data.position is not None:
        row.position = data.position
    row.updated_at = utcnow()
    await session.flush()
    return row


async def delete_rule(session: AsyncSession, rule_id: int) -> None:
    """Remove a rule (a config rule comes back on the next ``load-config``)."""
    await session.delete(await get_rule(session, rule_id))
    await session.flush()


_SPECS = TypeAdapter(list[RoutingRuleIn])


async def apply_config_rules(session: AsyncSession, config: CityConfig) -> dict[str, int]:
    """The ``routing_rules:`` section: rules from the file, in file order, keyed by name.
    Rules made through the API are left alone."""
    raw = (config.model_extra or {}).get("routing_rules")
    if raw is None:
        return {}
    try:
        specs = _SPECS.validate_python(raw)
    except ValidationError as exc:
        raise ValidationFailed(f"routing_rules: {exc}") from exc
    counts: Counter[str] = Counter()
    existing = {r.name: r for r in (await session.exec(select(RoutingRule))).all()}
    wanted = set()
    for index, spec in enumerate(specs):
        await _check_references(session, spec)
        values = {**_columns(spec), "position": spec.position or (index + 1) * 10}
        wanted.add(values["name"])
        row = existing.get(values["name"])
        if row is None:
            session.add(RoutingRule(**values, origin="config"))
            counts["routing_rules_created"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()) or row.origin != "config":
            for key, value in values.items():
                setattr(row, key, value)
            row.origin, row.updated_at = "config", utcnow()
            counts["routing_rules_updated"] += 1
    for name, row in existing.items():
        if row.origin == "config" and name not in wanted:
            await session.delete(row)
            counts["routing_rules_removed"] += 1
    await session.flush()
    return dict(counts)
