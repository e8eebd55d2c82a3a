"""Seed N realistic tickets fast: migrate, apply the city config, then COPY in parallel.

    python -m bench.seed --database bench_demo --tickets 1000000 --create

Tickets, applicants and the timeline (created/routed, plus status events) go in with binary
COPY from two processes; secondary indexes of ``tickets`` are dropped first and rebuilt
after (as pg_restore does), and FK triggers are skipped for the load session
(``session_replication_role = replica``) — the data is consistent by construction.
Appending to a seeded database works (``--start-id``), e.g. 10 000 then up to 1 000 000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from app.tickets.search_text import search_document
from bench import pg
from bench.texts import STREETS, appeal_text, person

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "config" / "city.example.yaml"
BATCH = 20_000

TICKET_COLUMNS = (
    "id",
    "number",
    "source",
    "source_id",
    "source_url",
    "source_status",
    "source_updated_at",
    "kind",
    "channel",
    "category_code",
    "source_category",
    "text",
    "address",
    "lat",
    "lon",
    "district_code",
    "priority",
    "status",
    "status_reason",
    "redirect_to",
    "applicant_id",
    "attachments",
    "extra",
    "department_code",
    "assignee",
    "first_response_due_at",
    "resolution_due_at",
    "legal_due_at",
    "control_due_at",
    "extension_count",
    "first_responded_at",
    "answered_at",
    "closed_at",
    "on_hold_since",
    "paused_seconds",
    "duplicate_of_id",
    "received_at",
    "created_at",
    "updated_at",
    "version",
    "search_text",
    "resolution_overdue",
)
APPLICANT_COLUMNS = (
    "id",
    "full_name",
    "surname",
    "name",
    "patronymic",
    "email",
    "phone",
    "post_address",
    "esia_id",
    "profile_url",
    "created_at",
    "purged_at",
)
EVENT_COLUMNS = ("ticket_id", "at", "actor", "type", "data")

CATEGORY_WEIGHTS = {
    "roads": 16,
    "snow": 5,
    "transport": 4,
    "housing": 12,
    "heating": 12,
    "water": 7,
    "power": 5,
    "waste": 10,
    "improvement": 12,
    "education": 3,
    "social": 3,
    "offences": 3,
    "economy": 2,
    "culture": 1,
    "construction": 1,
    "health": 2,
    "federal": 1,
    "other": 1,
}
SOURCES = [
    ("feedback_platform", 45),
    ("incident_management", 40),
    ("chatbot", 8),
    ("api", 7),
]
PRIORITIES = [("normal", 75), ("high", 15), ("low", 7), ("critical", 3)]
OPEN_RECENT = [("new", 5), ("routed", 25), ("in_progress", 35), ("on_hold", 5)]
DONE = [("answered", 12), ("closed", 75), ("rejected", 10), ("merged", 3)]


@dataclass(frozen=True)
class Directory:
    """What the seed needs from the city config."""

    category_department: dict[str, str]
    source_names: dict[tuple[str, str], list[str]]
    category_names: dict[str, str]
    triage: str


def load_directory() -> Directory:
    from app.directory.city_config import read_city_config

    config = read_city_config(CITY)
    triage = next(d.code for d in config.departments if d.triage)
    return Directory(
        category_department={c.code: c.department or triage for c in config.categories},
        source_names={
            (c.code, src.value): names
            for c in config.categories
            for src, names in c.mappings.items()
        },
        category_names={c.code: c.name for c in config.categories},
        triage=triage,
    )


async def prepare(name: str) -> None:
    """Migrate (all heads) and apply the example city config."""
    from app.config import get_settings
    from app.db import Database
    from app.directory.city_config import read_city_config
    from app.directory.city_setup import apply_city_config
    from app.migrate import upgrade

    await asyncio.to_thread(upgrade, pg.app_url(name))
    db = Database(pg.app_url(name), get_settings())
    try:
        async with db.sessionmaker() as session:
            await apply_city_config(session, read_city_config(CITY))
            await session.commit()
    finally:
        await db.dispose()


def _pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


class Generator:
    """Rows for ticket ids in a range; created_at grows with the id (like real inserts)."""

    def __init__(self, directory: Directory, *, total: int, now: datetime, days: int) -> None:
        self.d = directory
        self.total = total
        self.now = now
        self.span = timedelta(days=days).total_seconds()
        self.cats = list(CATEGORY_WEIGHTS)
        self.cat_w = list(CATEGORY_WEIGHTS.values())
        self.districts = list(STREETS)

    def created_at(self, ticket_id: int, rng: random.Random) -> datetime:
        frac = ticket_id / max(self.total, 1)
        jitter = rng.uniform(0, self.span / max(self.total, 1))
        return self.now - timedelta(seconds=self.span * (1 - frac) + jitter + 60)

    def rows(
        self, ticket_id: int, rng: random.Random
    ) -> tuple[tuple[Any, ...], tuple[Any, ...] | None, list[tuple[Any, ...]]]:
        created = self.created_at(ticket_id, rng)
        source = _pick(rng, SOURCES)
        category = rng.choices(self.cats, weights=self.cat_w)[0]
        district = rng.choice(self.districts)
        street = rng.choice(STREETS[district])
        text = appeal_text(category, street, rng)
        address = f"г. Спасск-Дальний, ул. {street}, д. {rng.randint(1, 120)}"
        priority = _pick(rng, PRIORITIES)
        department = self.d.category_department[category]
        names = self.d.source_names.get((category, source))
        source_category = rng.choice(names) if names else self.d.category_names[category]
        age_days = (self.now - created).total_seconds() / 86400
        extra: dict[str, Any] = {}
        applicant: tuple[Any, ...] | None = None
        source_url = None
        first_due = None
        legal_due = control_due = None
        if source == "feedback_platform":
            fz59 = rng.random() < 0.2
            kind, channel, source_id = (
                ("fz59_appeal" if fz59 else "pos_message"),
                "gosuslugi",
                str(100_000_000 + ticket_id),
            )
            resolution_due = created + timedelta(days=30 if fz59 else 10)
            if fz59:
                legal_due, control_due = resolution_due, resolution_due - timedelta(days=1)
            extra = {"fz59": fz59, "fastTrack": False, "answerAt": resolution_due.isoformat()}
        elif source == "incident_management":
            kind, channel = "social_post", rng.choice(["vk", "vk", "vk", "ok", "telegram"])
            source_id = f"im-{ticket_id}"
            source_url = f"https://vk.com/wall-1_{ticket_id}"
            first_due = created + timedelta(hours=4 if priority in ("high", "critical") else 9)
            resolution_due = created + timedelta(days=7)
        elif source == "chatbot":
            kind, channel, source_id = "anonymous_report", "telegram", f"bot-{ticket_id}"
            category, department = "offences", self.d.category_department["offences"]
            first_due = created + timedelta(days=1)
            resolution_due = created + timedelta(days=14)
        else:
            kind, channel, source_id = "direct_request", "phone", f"api-{ticket_id}"
            resolution_due = created + timedelta(days=10)
        if source in ("feedback_platform", "api", "incident_management"):
            surname, name, patronymic = person(rng)
            applicant = (
                ticket_id,
                f"{surname} {name} {patronymic}",
                surname,
                name,
                patronymic,
                f"user{ticket_id}@example.ru" if source != "incident_management" else None,
                f"+7924{ticket_id % 10_000_000:07d}" if source != "incident_management" else None,
                address if source == "feedback_platform" else None,
                None,
                source_url,
                created,
                None,
            )
        open_window = 25 if kind == "fz59_appeal" else 8
        status = _pick(rng, OPEN_RECENT if age_days < open_window else DONE)
        if age_days >= open_window and rng.random() < 0.01:
            status = _pick(rng, OPEN_RECENT)  # the long tail that is overdue
        if status == "new":
            department = self.d.triage
        responded = answered = closed = None
        events: list[tuple[Any, ...]] = [
            (ticket_id, created, "system:seed", "created", json.dumps({"source": source})),
            (ticket_id, created, "system:routing", "routed", '{"method":"category"}'),
        ]
        if status not in ("new", "routed"):
            at = created + timedelta(hours=rng.uniform(1, 72))
            responded = at
            events.append((ticket_id, at, "key:1", "status_changed", '{"after":"in_progress"}'))
        if status in ("answered", "closed"):
            answered = created + timedelta(days=rng.uniform(0.5, 9))
            events.append((ticket_id, answered, "key:1", "answer", '{"kind":"final"}'))
        if status in ("closed", "rejected", "merged"):
            closed = created + timedelta(days=rng.uniform(1, 12))
            events.append(
                (ticket_id, closed, "key:1", "status_changed", json.dumps({"after": status}))
            )
        updated = max(e[1] for e in events)
        ticket = (
            ticket_id,
            f"SD-{created.year}-{ticket_id:06d}",
            source,
            source_id,
            source_url,
            None,
            created,
            kind,
            channel,
            category,
            source_category,
            text,
            address,
            None,
            None,
            district,
            priority,
            status,
            "не в компетенции" if status == "rejected" else None,
            None,
            ticket_id if applicant else None,
            "[]",
            json.dumps(extra, ensure_ascii=False),
            department,
            None,
            first_due,
            resolution_due,
            legal_due,
            control_due,
            0,
            responded,
            answered,
            closed,
            created if status == "on_hold" else None,
            0,
            None,
            created,
            created,
            updated,
            len(events) - 1,
            search_document(text, address),  # the lemmas the app writes (app.tickets.search_text)
            # in the overdue gauge, as the sweeper would have marked it (app.metrics.overdue)
            status in ("new", "routed", "in_progress") and resolution_due < self.now,
        )
        return ticket, applicant, events


def _copy_range(url: str, start: int, end: int, total: int, now_iso: str, days: int) -> int:
    return asyncio.run(_copy_range_async(url, start, end, total, now_iso, days))


async def _copy_range_async(
    url: str, start: int, end: int, total: int, now_iso: str, days: int
) -> int:
    gen = Generator(load_directory(), total=total, now=datetime.fromisoformat(now_iso), days=days)
    rng = random.Random(start)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET synchronous_commit = off")
        for lo in range(start, end, BATCH):
            tickets, applicants, events = [], [], []
            for ticket_id in range(lo, min(lo + BATCH, end)):
                t, a, e = gen.rows(ticket_id, rng)
                tickets.append(t)
                if a is not None:
                    applicants.append(a)
                events.extend(e)
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "applicants", records=applicants, columns=APPLICANT_COLUMNS
                )
                await conn.copy_records_to_table("tickets", records=tickets, columns=TICKET_COLUMNS)
                await conn.copy_records_to_table(
                    "ticket_events", records=events, columns=EVENT_COLUMNS
                )
    finally:
        await conn.close()
    return end - start


async def _secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename IN ('tickets', 'ticket_events')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """
    )
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def seed(
    name: str,
    tickets: int,
    *,
    start_id: int = 1,
    total: int | None = None,
    days: int = 730,
    now: datetime | None = None,
    processes: int = 2,
) -> dict[str, Any]:
    """Add tickets ``start_id .. start_id+tickets-1`` (of ``total`` spread over ``days``)."""
    total = total or (start_id - 1 + tickets)
    now = now or datetime.now(UTC)
    url = pg.dsn(name)
    t0 = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        indexes = await _secondary_indexes(conn)
        for index_name, _ in indexes:
            await conn.execute(f'DROP INDEX "{index_name}"')
    finally:
        await conn.close()
    end = start_id + tickets
    step = -(-tickets // (processes * 4))
    ranges = [(lo, min(lo + step, end)) for lo in range(start_id, end, step)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(processes) as pool:
        await asyncio.gather(
            *(
                loop.run_in_executor(pool, _copy_range, url, lo, hi, total, now.isoformat(), days)
                for lo, hi in ranges
            )
        )
    t_copy = time.perf_counter() - t0
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute("SET max_parallel_maintenance_workers = 2")
        for _, definition in indexes:
            await conn.execute(definition)
        for table in ("tickets", "applicants"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        await conn.execute(
            "SELECT setval('ticket_number_seq', (SELECT coalesce(max(id), 1) FROM tickets))"
        )
        await conn.execute("VACUUM ANALYZE tickets")
        await conn.execute("VACUUM ANALYZE ticket_events")
        await conn.execute("VACUUM ANALYZE applicants")
        count = await conn.fetchval("SELECT count(*) FROM tickets")
    finally:
        await conn.close()
    elapsed = time.perf_counter() - t0
    return {
        "tickets_added": tickets,
        "tickets_total": count,
        "copy_seconds": round(t_copy, 1),
        "total_seconds": round(elapsed, 1),
        "rows_per_second": round(tickets / elapsed),
    }


async def _main(args: argparse.Namespace) -> None:
    if args.create:
        await pg.create_database(args.database)
        await prepare(args.database)
    result = await seed(args.database, args.tickets, start_id=args.start_id, total=args.total)
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="bench_* database name")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--start-id", type=int, default=1)
    parser.add_argument("--total", type=int, default=None, help="final size (spreads dates)")
    parser.add_argument("--create", action="store_true", help="(re)create, migrate, configure")
    asyncio.run(_main(parser.parse_args()))
