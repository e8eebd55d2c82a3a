"""The metric catalog: each family declared once and well formed; writers name declarations,
the store refuses undeclared label names, and no module spells a family's name itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.metrics import catalog, store

APP = Path(__file__).resolve().parents[2] / "app"


def test_families_are_declared_once_and_well_formed():
    names = [f.name for f in catalog.FAMILIES]
    assert len(names) == len(set(names))
    module_level = {v for v in vars(catalog).values() if isinstance(v, catalog.Family)}
    assert module_level == set(catalog.FAMILIES)
    for f in catalog.FAMILIES:
        assert f.name.startswith("appeals_"), f.name
        assert f.name.endswith("_total") == (f.type == "counter"), f.name
        assert bool(f.buckets) == (f.type == "histogram"), f.name
        assert len(set(f.labels)) == len(f.labels) and "le" not in f.labels, f.name
        assert f.help.endswith("."), f.name
    business = sorted(f.name for f in catalog.FAMILIES if f.where != "process")
    assert list(catalog.BUSINESS) == business


def _series_names() -> set[str]:
    out = set()
    for f in catalog.FAMILIES:
        out.add(f.name)
        if f.type == "histogram":
            out |= {f.name + suffix for suffix in ("_bucket", "_sum", "_count")}
    return out


def test_no_module_spells_a_family_name_outside_the_catalog():
    series = _series_names()
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "metrics" / "catalog.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in series:
                found.append(f"{path.relative_to(APP.parent)}:{node.lineno} {node.value}")
    assert found == []


async def test_the_store_takes_declared_counters_with_their_declared_labels():
    session = AsyncSession()  # never reached: the update is refused before it is buffered
    with pytest.raises(ValueError, match="takes labels"):
        await store.increment(session, catalog.WEBHOOK_DELIVERIES, {"source": "api"})
    with pytest.raises(ValueError, match="takes labels"):
        await store.increment(
            session, catalog.OUTBOX_REPLAYS, {"target": "telegram", "kind": "answer"}
        )
    with pytest.raises(ValueError, match="not a stored counter"):
        await store.increment(
            session, catalog.TICKETS_OVERDUE, {"department": "roads", "target": "resolution"}
        )
    with pytest.raises(ValueError, match="not a stored counter"):
        await store.increment(session, catalog.RESOLUTION, {"kind": "pos_message"})
    with pytest.raises(ValueError, match="not a stored histogram"):
        store.histogram_updates(catalog.TICKETS_ROUTED, {"department": "x", "method": "y"}, 1.0)
    with pytest.raises(ValueError, match="takes labels"):
        store.histogram_updates(catalog.RESOLUTION, {"source": "api"}, 1.0)
    await session.close()
