"""Cost of routing + duplicate check per new ticket with 100 000 open tickets in the database.

    python -m bench.routing_bench [--open 100000] [--tickets 300]

Creates a scratch database ``bench_routing_<pid>`` on BENCH_PG (default the local server on
:5432), migrates it, applies the example city, seeds the open tickets with one
``INSERT … SELECT generate_series`` (spread over the city's streets, houses, categories and the
last 14 days, with points for a third of them), then measures per ticket, each in its own
transaction that is rolled back so the table stays at the seeded size:

- ``route``: ``route_new_ticket`` (district by point/street, rules, category) ;
- ``dedup``: ``check_new_ticket`` (candidate query on the partial indexes + scoring) ;
- ``create``: the whole ``create_from_draft`` (routing, SLA, timeline, dedup).

Prints figures; asserts nothing (timings are not tests). The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from sqlmodel import col, select

from app.config import get_settings
from app.db import Database
from app.dedup.detection import check_new_ticket
from app.dedup.place_key import address_key
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config
from app.metrics.hooks import install_metric_hooks
from app.migrate import upgrade
from app.models.directory import Category
from app.models.drafts import TicketDraft
from app.models.tickets import Ticket
from app.routing.rules import TicketFacts, evaluate
from app.routing.service import route_new_ticket
from app.tickets.creation import create_from_draft
from app.tools.simulators.routing_corpus import CITY_CONFIG, ISSUES, _streets

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)

SEED = """
INSERT INTO tickets (number, source, source_id, kind, channel, category_code, text, address,
    address_key, lat, lon, priority, status, department_code, extension_count, paused_seconds,
    received_at, created_at, updated_at, routed_at, version)
SELECT 'BN-' || g, 'api', 'bench-' || g, 'direct_request', 'phone',
    ($1::text[])[1 + g % cardinality($1::text[])],
    ($2::text[])[1 + g % cardinality($2::text[])] || ' (' || g || ')',
    'ул. ' || ($3::text[])[1 + (g / 7) % cardinality($3::text[])] || ', ' || (1 + g % 97),
    ($4::text[])[1 + (g / 7) % cardinality($4::text[])] || ' ' || (1 + g % 97),
    CASE WHEN g % 3 = 0 THEN ($5::float8[])[1 + (g / 7) % cardinality($5::float8[])]
        + (g % 97) * 0.0002 END,
    CASE WHEN g % 3 = 0 THEN ($6::float8[])[1 + (g / 7) % cardinality($6::float8[])] END,
    'normal', 'routed', ($7::text[])[1 + g % cardinality($7::text[])], 0, 0,
    $8::timestamptz - (g % 336) * interval '1 hour',
    $8::timestamptz - (g % 336) * interval '1 hour',
    $8::timestamptz - (g % 336) * interval '1 hour',
    $8::timestamptz - (g % 336) * interval '1 hour', 1
FROM generate_series(1, $9::int) AS g
"""


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return (
        f"mean {statistics.fmean(ordered) * 1000:7.2f} ms   p50 {p(0.5):7.2f} ms   "
        f"p95 {p(0.95):7.2f} ms   p99 {p(0.99):7.2f} ms   (n={len(ordered)})"
    )


async def _seed(dsn: str, open_tickets: int) -> float:
    issues = [(cat, dept, phrases[0]) for cat, dept, _, phrases in ISSUES]
    streets = _streets()
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.execute(
            SEED,
            [i[0] for i in issues],
            [i[2].format(street="Ленина", house=5) for i in issues],
            [s[0] for s in streets],
            [address_key(f"ул. {s[0]}") or "" for s in streets],
            [s[1] for s in streets],
            [s[2] for s in streets],
            [i[1] for i in issues],
            NOW,
            open_tickets,
        )
        await conn.execute("ANALYZE tickets")
        return time.perf_counter() - started
    finally:
        await conn.close()


def _draft(rng: random.Random) -> TicketDraft:
    category, _, _, phrases = rng.choice(ISSUES)
    street, lat, lon = rng.choice(_streets())
    house = rng.randint(1, 97)
    point = rng.random() < 0.33
    return TicketDraft(
        source=rng.choice(["feedback_platform", "incident_management", "api"]),
        source_id=str(uuid.uuid4()),
        kind="pos_message",
        channel="gosuslugi",
        text=rng.choice(phrases).format(street=street, house=house),
        category_code=category,
        address=f"ул. {street}, д. {house}",
        lat=lat + house * 0.0002 if point else None,
        lon=lon if point else None,
    )


async def _measure(db: Database, tickets: int) -> dict[str, list[float]]:
    rng = random.Random(4)
    times: dict[str, list[float]] = {"route": [], "dedup": [], "create": []}
    for n in range(tickets):
        draft = _draft(rng)
        async with db.sessionmaker() as session:
            category = await session.get(Category, draft.category_code)
            assert category is not None
            started = time.perf_counter()
            await route_new_ticket(session, category=category, draft=draft)
            times["route"].append(time.perf_counter() - started)
            await session.rollback()
        async with db.sessionmaker() as session:
            existing = await session.get(Ticket, 1 + (n * 331) % 90_000)
            assert existing is not None
            started = time.perf_counter()
            await check_new_ticket(session, existing, now=NOW)
            times["dedup"].append(time.perf_counter() - started)
            await session.rollback()
        async with db.sessionmaker() as session:
            started = time.perf_counter()
            await create_from_draft(session, draft, actor="bench", now=NOW)
            await session.flush()
            times["create"].append(time.perf_counter() - started)
            await session.rollback()
    return times


async def _explain_candidates(dsn: str) -> str:
    """The candidate query's plan and server time for one seeded ticket with a point, asked as
    the app asks it (``app.dedup.candidates``)."""
    from sqlalchemy import text

    from app.dedup.candidates import CANDIDATES, Asking, candidate_params
    from app.dedup.detection import view_of
    from app.directory import reference

    db = Database(dsn.replace("postgresql://", "postgresql+asyncpg://"), get_settings())
    try:
        async with db.sessionmaker() as session:
            ref = await reference.current(session)
            ticket = (
                await session.exec(  # type: ignore[call-overload]
                    select(Ticket)
                    .where(col(Ticket.lat).is_not(None))
                    .order_by(col(Ticket.id))
                    .offset(5000)
                    .limit(1)
                )
            ).one()
            family = ref.dedup_family(ticket.category_code, ticket.department_code)
            asking = [Asking(view_of(ticket, family), ticket.department_code, NOW)]
            params = candidate_params(asking, ref, batch=[])
            plan = await session.execute(
                text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + CANDIDATES.text), params
            )
            return "candidate query plan:\n  " + "\n  ".join(r[0] for r in plan)
    finally:
        await db.dispose()


def _pure_rules(rounds: int = 20_000) -> float:
    config = read_city_config(CITY_CONFIG)
    from app.routing.rules import RuleSpec

    rules = [
        RuleSpec(
            name=r["name"],
            department=r["department"],
            categories=frozenset(r.get("categories", [])),
            sources=frozenset(r.get("sources", [])),
            districts=frozenset(r.get("districts", [])),
            priorities=frozenset(r.get("priorities", [])),
            keywords=tuple(r.get("keywords", [])),
        )
        for r in (config.model_extra or {}).get("routing_rules", [])
    ]
    started = time.perf_counter()
    for i in range(rounds):
        facts = TicketFacts(
            "feedback_platform", "pos_message", "gosuslugi", ("other",), f"Непонятно что {i}"
        )
        evaluate(rules, facts)
    return (time.perf_counter() - started) / rounds


async def main(open_tickets: int, tickets: int) -> None:
    name = f"bench_routing_{os.getpid()}"
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = f"{SERVER}/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    install_metric_hooks()
    db = Database(url, get_settings())
    try:
        await asyncio.to_thread(upgrade, url)
        async with db.sessionmaker() as session:
            await apply_city_config(session, read_city_config(CITY_CONFIG))
            await session.commit()
        seconds = await _seed(dsn, open_tickets)
        print(f"seeded {open_tickets} open tickets in {seconds:.1f} s (INSERT … generate_series)")
        conn = await asyncpg.connect(dsn)
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"PostgreSQL {version}; {os.cpu_count()} CPUs; load average {load}")
        await _measure(db, 20)  # warm caches and prepared statements
        times = await _measure(db, tickets)
        for step in ("route", "dedup", "create"):
            print(f"{step:7s} {_percentiles(times[step])}")
        print(f"pure rule evaluation (config rules, no match): {_pure_rules() * 1e6:.1f} µs")
        print(await _explain_candidates(dsn))
    finally:
        await db.dispose()
        admin = await asyncpg.connect(f"{SERVER}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000, help="open tickets to seed")
    parser.add_argument("--tickets", type=int, default=300, help="tickets to measure")
    args = parser.parse_args()
    asyncio.run(main(args.open, args.tickets))
