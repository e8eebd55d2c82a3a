"""SLA sweeper at scale: N open tickets, how long one sweep takes.

    python -m bench.sla_sweep --tickets 1000000

Seeds a scratch database with N open tickets whose thresholds are spread over 60 days (about
N/86 400 cross a threshold per minute), then times a first sweep (the thresholds of the last
half hour come due at once) and steady-state sweeps one minute apart. The target: ≤ 2 s per
sweep at 1 000 000 open tickets. Measured 2026-11-26 on the shared dev machine (PostgreSQL 15):
1 000 000 open tickets → first sweep 1 463 tickets / 1 462 marks in 1.9 s, steady-state
sweeps 36 tickets in 0.07–0.09 s.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from app.config import get_settings
from app.db import Database
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config
from app.metrics.hooks import install_metric_hooks
from app.migrate import upgrade
from app.sla.sweeper import sweep
from tests.support.database import asyncpg_dsn, create_database, drop_database, server_url

CITY = Path(__file__).resolve().parent.parent / "config" / "city.example.yaml"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
_SEED = """
INSERT INTO tickets (number, source, source_id, kind, channel, category_code, text, priority,
    status, department_code, first_response_due_at, resolution_due_at, first_response_risk_at,
    resolution_risk_at, sla_next_check_at, received_at, created_at, updated_at, version,
    attachments, extra, extension_count, paused_seconds)
SELECT 'B-' || g, 'api', 'b' || g, 'direct_request', 'phone', 'roads', 'x', 'normal',
    'in_progress', 'roads',
    $1::timestamptz + (g % 86400) * interval '1 minute',
    $1::timestamptz + (g % 86400) * interval '1 minute' + interval '10 days',
    $1::timestamptz + (g % 86400) * interval '1 minute' - interval '1 hour',
    $1::timestamptz + (g % 86400) * interval '1 minute' + interval '7 days',
    $1::timestamptz + (g % 86400) * interval '1 minute' - interval '90 minutes',
    $1::timestamptz, $1::timestamptz, $1::timestamptz, 1, '[]', '{}', 0, 0
FROM generate_series(1, $2::int) g
"""


async def main(tickets: int) -> None:
    base = server_url()
    url = await create_database(base, prefix="bench_sla")
    try:
        await asyncio.to_thread(upgrade, url)
        install_metric_hooks()
        db = Database(url, get_settings())
        async with db.sessionmaker() as session:
            await apply_city_config(session, read_city_config(CITY))
            await session.commit()
        conn = await asyncpg.connect(asyncpg_dsn(url))
        started = time.perf_counter()
        await conn.execute(_SEED, NOW, tickets)
        await conn.execute("ANALYZE tickets")
        await conn.close()
        print(f"seeded {tickets} open tickets in {time.perf_counter() - started:.1f} s")
        for minute in (31, 32, 33, 34):
            started = time.perf_counter()
            result = await sweep(db, NOW + timedelta(minutes=minute))
            took = time.perf_counter() - started
            print(
                f"sweep at +{minute} min: {result.picked} tickets, "
                f"{sum(result.marks.values())} marks, {took:.3f} s"
            )
        await db.dispose()
    finally:
        await drop_database(base, url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().tickets))
