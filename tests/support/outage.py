"""The outage end to end (tests/e2e/test_incident_outage.py): Open311 reports beside the
simulators' scenario, a month of history before it, and which tickets were whose."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import col, select

from app.db import Database
from app.models.drafts import ApplicantDraft
from app.models.tickets import Ticket
from app.tools.simulators.content import Appeal, load_city
from app.tools.simulators.incident_management import ImConfig, IncidentManagementSimulator
from app.tools.simulators.outage import OUTAGE_TEXTS, outage_addresses, outage_district
from tests.support.builders import distinct_text, make_ticket
from tests.support.loop import IM_SECRET
from tests.support.webhooks import IM_URL, encode, signed

CITY = load_city()
DISTRICT = outage_district(CITY)  # the scenario's default: the centre
# Open311 reports that are not the outage: other problems in the centre, other districts.
UNRELATED_OPEN311 = [
    ("roads", "ул. Советская, 14", "Яма на проезжей части у дома, колесо пробил"),
    ("roads", "ул. Коммунаров, 2", "Не горит светофор на перекрёстке у школы"),
    ("roads", "ул. Ленина, 40", "Разбит тротуар, после дождя не пройти"),
    ("waste", "ул. Парковая, 9", "Не вывозят мусор пятый день, контейнеры переполнены"),
    ("waste", "ул. Садовая, 21", "Стихийная свалка за гаражами"),
    ("water", "ул. Вокзальная, 5", "Слабый напор холодной воды по вечерам"),
    ("water", "ул. Андреевская, 12", "Ржавая вода из крана вторую неделю"),
    ("improvement", "ул. Цементная, 8", "Сломаны качели на детской площадке"),
]


@dataclass
class Open311Reports:
    """Posts the Open311 part of the outage and the unrelated reports over ``span`` seconds."""

    base: str
    api_key: str
    size: int
    span: float
    rng: random.Random = field(default_factory=lambda: random.Random(311))
    outage: list[str] = field(default_factory=list)  # service_request_id = ticket number
    unrelated: list[str] = field(default_factory=list)

    def plan(self) -> list[tuple[float, str, dict[str, str]]]:
        items = []
        for street, house in outage_addresses(DISTRICT, self.size):
            text = self.rng.choice(OUTAGE_TEXTS).format(street=street, house=house)
            body = {"service_code": "water", "address_string": f"ул. {street}, {house}"}
            body["description"] = text
            at = self.rng.triangular(0.0, self.span, self.span * 0.3)
            items.append((at, "outage", body))
        for code, address, text in UNRELATED_OPEN311:
            body = {"service_code": code, "address_string": address, "description": text}
            items.append((self.rng.uniform(0.0, self.span), "unrelated", body))
        return sorted(items, key=lambda x: x[0])

    async def run(self) -> None:
        start = time.monotonic()
        async with httpx.AsyncClient(base_url=self.base, timeout=30.0) as c:
            for at, label, body in self.plan():
                await asyncio.sleep(max(0.0, start + at - time.monotonic()))
                data = {**body, "api_key": self.api_key, "jurisdiction_id": "spassk-dalny"}
                r = await c.post("/open311/v2/requests.json", data=data)
                assert r.status_code == 200, r.text
                number = r.json()[0]["service_request_id"]
                (self.outage if label == "outage" else self.unrelated).append(number)


async def seed_history(db: Database, now: datetime, count: int) -> list[int]:
    """The centre's ordinary water and housing complaints of the last four weeks: the baseline
    the outage is measured against, and appeals of the same problem at another time."""
    rng = random.Random(28)
    ids = []
    for i in range(count):
        at = now - timedelta(days=rng.uniform(2.0, 27.0))
        ticket = await make_ticket(
            db,
            source="open311",
            kind="open311_request",
            channel="web",
            category_code="water" if i % 2 == 0 else "housing",
            district_code=DISTRICT.code,
            address=f"ул. {DISTRICT.streets[i % len(DISTRICT.streets)]}, д. {60 + i}",
            text=distinct_text(),
            now=at,
            applicant=ApplicantDraft(),
        )
        assert ticket.id is not None
        ids.append(ticket.id)
    return ids


async def tickets_of(db: Database, **keys: list[str]) -> dict[str, list[Ticket]]:
    """Tickets by what their source knows them by: ПОС ``posId`` (source_id), IM post URL
    (source_url), Open311 service_request_id (number)."""
    column = {"pos": Ticket.source_id, "im": Ticket.source_url, "open311": Ticket.number}
    source = {"pos": "feedback_platform", "im": "incident_management", "open311": "open311"}
    out: dict[str, list[Ticket]] = {}
    async with db.sessionmaker() as session:
        for name, values in keys.items():
            rows = await session.exec(
                select(Ticket).where(
                    col(Ticket.source) == source[name], col(column[name]).in_(values)
                )
            )
            out[name] = list(rows.all())
    return out


def late_im_post(house: int, *, now: datetime) -> dict[str, Any]:
    """One more IM post about the outage, from a house nobody reported yet."""
    sim = IncidentManagementSimulator(city=CITY, rng=random.Random(house), config=ImConfig())
    street = DISTRICT.streets[0]
    text = f"У нас на {street}, {house} тоже нет воды. Когда починят?"
    appeal = Appeal("water", "Водоснабжение", text, street, house, DISTRICT)
    item = sim.new_incident(now, appeal, now - timedelta(seconds=30))
    item["importance"] = "Обычная"
    return item


async def push_im(base: str, item: dict[str, Any]) -> None:
    body = encode(item)
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as c:
        r = await c.post(IM_URL, content=body, headers=signed(body, secret=IM_SECRET))
    assert r.status_code == 202, r.text


def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "n/a"


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def utcnow() -> datetime:
    return datetime.now(UTC)
