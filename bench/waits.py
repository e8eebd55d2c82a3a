"""What ingestion waits on: wrk load on the webhook while sampling pg_stat_activity.

    python -m bench.waits --database bench_x [--seconds 15]

Serves the app on a seeded database, sends unique signed ПОС deliveries at 32 connections and
samples the api's connections every 0.2 s; prints throughput and the top (wait, statement)
pairs. A hot row shows up as ``Lock/transactionid`` on its statement.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import threading

import asyncpg

from bench import harness, pg, scenarios

QUERY = (
    "SELECT wait_event_type, wait_event, state, left(query, 60) AS q FROM pg_stat_activity "
    "WHERE datname = $1 AND application_name = 'appeals'"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    ctx = scenarios.Context(
        name=args.database, duration=args.seconds, profile=False, rng=random.Random(1)
    )
    ctx.pos_id = 950_000_000 + random.randint(0, 10**6)
    counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
    stop = threading.Event()

    def sample() -> None:
        async def run() -> None:
            conn = await asyncpg.connect(pg.dsn("postgres"))
            while not stop.is_set():
                for r in await conn.fetch(QUERY, args.database):
                    if r["state"] == "active" or r["wait_event_type"] == "Lock":
                        counts[(str(r["wait_event_type"]), str(r["wait_event"]), r["q"])] += 1
                await asyncio.sleep(0.2)
            await conn.close()

        asyncio.run(run())

    proc, base = harness.uvicorn("app.asgi:app", ctx.env(), name="waits")
    try:
        requests = scenarios._ingest_file(ctx, scenarios.WEBHOOK, args.seconds * 2000)
        sampler = threading.Thread(target=sample)
        sampler.start()
        result = harness.wrk(base, requests, duration=args.seconds, mode="once")
        stop.set()
        sampler.join()
    finally:
        proc.stop()
    print({k: result[k] for k in ("rps", "p50_ms", "p99_ms", "errors")})
    for (kind, event, query), n in counts.most_common(12):
        print(f"{n:6d}  {kind}/{event}  {query}")


if __name__ == "__main__":
    main()
