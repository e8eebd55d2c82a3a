"""The ``outage`` scenario of the ПОС and IM simulators: a burst main leaves one district
without water, and within about an hour dozens of citizens write about it from different houses
on different streets, mixed with ordinary background traffic.

* **The outage items**: category «Водоснабжение» (normalised ``water``), one of a few wordings,
  from the houses ``outage_addresses`` lists for the district: the district's streets in turn,
  houses 3, 7, 11, … along each. The list is the same in every simulator, so a ПОС message and
  an IM post about one house come from neighbours writing through different channels. Their
  times follow a real outage: few at first, most in the first half hour, a tail to the end.
* **Background**: ordinary random items of every other kind, spread evenly over the span; none
  of them is of the outage's department in the outage's district, so which items are the
  outage's is known exactly (``GET /simulator/scenario``).
* **Time**: ``speed`` scenario minutes pass per real minute (60: the hour in a minute). The
  items' own dates are real: an item is written a few minutes before it is pushed.

The scenario waits for the hub (``/healthz`` of the target's host) before it starts, plays once,
then keeps serving what the hub calls back (answers, reads) and pushing the source's reactions
to them (ratings) until the simulator stops.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from app.tools.simulators.common import Push, Pusher
from app.tools.simulators.content import Appeal, City, District, random_appeal

OUTAGE_CATEGORY = "water"
OUTAGE_TEXTS = [
    "Нет холодной воды в доме {house} по ул. {street} с утра, никто не предупредил",
    "Ул. {street}, {house}: воды нет уже час, когда дадут? В соседних домах то же самое",
    "В доме {house} на улице {street} пропала вода, ни горячей, ни холодной",
    "Опять нет воды! {street}, д. {house}. Говорят, на водоводе прорыв трубы",
    "Сначала еле текло, теперь воды совсем нет — ул. {street}, дом {house}. Что случилось?",
    "Дети дома, воды нет ни капли. Улица {street}, {house}. Подвезите хотя бы питьевую",
]


@dataclass(frozen=True)
class OutagePlan:
    """What the scenario plays: ``size`` outage items and ``background`` ordinary ones over
    ``minutes`` of scenario time, ``speed`` scenario minutes per real minute."""

    district: str | None = None  # default: the district with the most streets
    size: int = 30
    background: int = 20
    minutes: float = 60.0
    speed: float = 1.0


def outage_district(city: City, code: str | None = None) -> District:
    """The district of the outage: ``code``, else the one with the most streets."""
    if code is not None:
        found = [d for d in city.districts if d.code == code]
        if not found:
            known = ", ".join(d.code for d in city.districts)
            raise ValueError(f"no district {code!r} in the city file (known: {known})")
        return found[0]
    return max((d for d in city.districts if d.streets), key=lambda d: len(d.streets))


def outage_addresses(district: District, count: int) -> list[tuple[str, int]]:
    """The houses reporting the outage, (street, house): the streets in turn, houses 3, 7,
    11, … along each; the same list in every simulator."""
    streets = district.streets
    return [(streets[i % len(streets)], 3 + 4 * (i // len(streets))) for i in range(count)]


# Builds the source's item for an appeal written at a time; returns (body, key): the key is the
# ПОС posId (a ticket's source_id) or the IM post URL (a ticket's source_url).
MakeItem = Callable[[Appeal, datetime], tuple[dict[str, Any], str]]


@dataclass
class OutageScenario:
    city: City
    source: str  # the source's name in the city file: feedback_platform, incident_management
    plan: OutagePlan
    rng: random.Random
    make: MakeItem
    sent: dict[str, list[str]] = field(default_factory=lambda: {"outage": [], "background": []})
    started_at: str | None = None
    done: bool = False

    def __post_init__(self) -> None:
        self.district = outage_district(self.city, self.plan.district)

    def outage_appeals(self) -> list[Appeal]:
        name = next(n for c, n in self.city.categories[self.source] if c == OUTAGE_CATEGORY)
        return [
            Appeal(
                OUTAGE_CATEGORY,
                name,
                self.rng.choice(OUTAGE_TEXTS).format(street=street, house=house),
                street,
                house,
                self.district,
            )
            for street, house in outage_addresses(self.district, self.plan.size)
        ]

    def background_appeal(self) -> Appeal:
        """An ordinary appeal, never of the outage's department in the outage's district."""
        family = self.city.departments.get(OUTAGE_CATEGORY)
        while True:
            appeal = random_appeal(self.city, self.source, self.rng)
            same_family = self.city.departments.get(appeal.category_code) == family
            if not (same_family and appeal.district.code == self.district.code):
                return appeal

    def timeline(self) -> list[tuple[float, str, Appeal]]:
        """(scenario seconds, label, appeal), in time order."""
        span = self.plan.minutes * 60.0
        outage = self.outage_appeals()
        self.rng.shuffle(outage)
        items = [(self.rng.triangular(0.0, span, span * 0.2), "outage", a) for a in outage]
        items += [
            (self.rng.uniform(0.0, span), "background", self.background_appeal())
            for _ in range(self.plan.background)
        ]
        return sorted(items, key=lambda x: x[0])

    def state(self) -> dict[str, Any]:
        return {
            "scenario": "outage",
            "district": self.district.code,
            "category": OUTAGE_CATEGORY,
            "size": self.plan.size,
            "speed": self.plan.speed,
            "started_at": self.started_at,
            "done": self.done,
            "outage": self.sent["outage"],
            "background": self.sent["background"],
        }

    async def play(self, pusher: Pusher) -> None:
        """Push the timeline at its pace, then the source's reactions until cancelled."""
        if not pusher.target:
            pusher.done = self.done = True
            return
        timeline = self.timeline()
        async with httpx.AsyncClient(timeout=15.0) as client:
            await wait_for_hub(client, pusher.target)
            start = time.monotonic()
            self.started_at = datetime.now(UTC).isoformat()
            for at, label, appeal in timeline:
                delay = start + at / max(self.plan.speed, 1e-6) - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                body, key = self.make(appeal, datetime.now(UTC))
                self.sent[label].append(key)
                pusher.items.append(key)
                await pusher.send(client, Push(body, label=label))
                await _follow_ups(client, pusher)
            pusher.done = self.done = True
            while True:  # ratings of the answers the hub sends back
                await _follow_ups(client, pusher)
                await asyncio.sleep(0.5)


async def _follow_ups(client: httpx.AsyncClient, pusher: Pusher) -> None:
    due, pusher.follow_ups = pusher.follow_ups, []
    for push in due:
        await pusher.send(client, push)


async def wait_for_hub(client: httpx.AsyncClient, target: str, limit: float = 180.0) -> None:
    """Until the hub's ``/healthz`` answers (the demo starts its simulators before its API)."""
    parts = urlsplit(target)
    url = f"{parts.scheme}://{parts.netloc}/healthz"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if (await client.get(url)).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)


def add_scenario(app: FastAPI, scenario: OutageScenario, pusher: Pusher) -> None:
    """``GET /simulator/scenario`` (which items are the outage's), and the scenario as the
    app's player (``app.state.play``, run by ``appeals simulate`` instead of the steady flow)."""

    @app.get("/simulator/scenario")
    async def scenario_state() -> dict[str, Any]:
        return scenario.state()

    async def play() -> None:
        await scenario.play(pusher)

    app.state.play = play


def written_before(now: datetime, rng: random.Random, low: float, high: float) -> datetime:
    """When the citizen wrote an item pushed at ``now``: ``low``–``high`` minutes earlier."""
    return now - timedelta(minutes=rng.uniform(low, high))
