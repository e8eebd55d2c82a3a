"""Applying a whole city configuration: the directory tables, then every other section.

The sections and the order they are applied in are listed here, once. The section appliers
live with their domains and import only ``city_config`` (for ``CityConfig``), never this
module, so nothing is registered by importing anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from app.directory.city_config import CityConfig, apply_directory
from app.routing.admin import apply_config_rules
from app.sla.policies import apply_config_section as apply_sla_policies
from app.sstu.classifier import apply_config_section as apply_sstu

SectionApplier = Callable[[AsyncSession, CityConfig], Awaitable[dict[str, int]]]

# After the directory tables, which the sections refer to: ``routing_rules:``, ``sla_policies:``,
# ``sstu:`` (with the categories' ``sstu_question``).
SECTIONS: tuple[SectionApplier, ...] = (apply_config_rules, apply_sla_policies, apply_sstu)


async def apply_city_config(session: AsyncSession, config: CityConfig) -> dict[str, int]:
    """Make the database equal to the file, section by section; re-running it changes nothing.
    Returns what changed, summed over the sections (``created``, ``routing_rules_updated``…)."""
    counts = Counter(await apply_directory(session, config))
    for apply_section in SECTIONS:
        counts.update(await apply_section(session, config))
    return dict(counts)
