"""CPU cost per request, in-process (app vs baseline): robust on a shared, noisy machine.

Wall-clock throughput depends on what else the machine runs; the CPU seconds this process
spends per request (``time.process_time``) hardly do. Requests go through httpx's ASGI
transport to the real app and to the baseline app, one at a time, against the same database.

    python -m bench.cpu --database bench_x [--profile list|detail|ingest|search]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from bench import pg
from bench.bodies import SECRET, pos_message
from bench.scenarios import SEARCHES


def _signed(pos_id: int, rng: random.Random) -> tuple[bytes, dict[str, str]]:
    import uuid
    from datetime import UTC, datetime

    from standardwebhooks.webhooks import Webhook

    now = datetime.now(UTC)
    body = json.dumps(pos_message(pos_id, rng, now), ensure_ascii=False)
    msg_id = f"msg_{uuid.uuid4().hex}"
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, now, body),
    }
    return body.encode(), headers


class StatementCount:
    """SQL statements the app sends (the baseline uses asyncpg directly: 1 each): those its
    SQLAlchemy engine executes (``before_cursor_execute``) and those sent on the pool's asyncpg
    connection itself (the page reads, app/tickets/pages.py; asyncpg's query logger, which
    also sees BEGIN/COMMIT: counted apart as ``transactions``)."""

    def __init__(self) -> None:
        self.count = 0
        self.transactions = 0
        self.announced: str | None = None

    def __call__(self, *args: Any) -> None:
        self.count += 1
        self.announced = args[2]  # an executemany reaches asyncpg's logger too: not twice

    def logged(self, record: Any) -> None:
        if record.query.split(None, 1)[0].rstrip(";").upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.transactions += 1
        elif record.query != self.announced:
            self.count += 1
        self.announced = None

    def on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        (driver or dbapi_connection._connection).add_query_logger(self.logged)


async def measure(
    client: httpx.AsyncClient,
    make: Callable[[int], tuple[str, str, Any, dict[str, str]]],
    n: int,
    statements: StatementCount | None = None,
) -> dict[str, float]:
    for i in range(5):
        method, url, body, headers = make(i)
        (await client.request(method, url, content=body, headers=headers)).raise_for_status()
    first = statements.count if statements else 0
    first_tx = statements.transactions if statements else 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(5, n + 5):
        method, url, body, headers = make(i)
        r = await client.request(method, url, content=body, headers=headers)
        if r.status_code >= 400:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:300]}")
    cpu = (time.process_time() - cpu0) / n * 1000
    wall = (time.perf_counter() - wall0) / n * 1000
    out = {"cpu_ms": round(cpu, 2), "wall_ms": round(wall, 2)}
    if statements is not None:
        out["sql_per_request"] = round((statements.count - first) / n, 2)
        out["begin_commit_per_request"] = round((statements.transactions - first_tx) / n, 2)
    return out


async def run(
    name: str, n: int, total: int, profile: str | None = None, only: str | None = None
) -> dict[str, Any]:
    os.environ.setdefault("APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS", SECRET)
    os.environ.setdefault("APPEALS_RATE_LIMIT_PER_MINUTE", "0")  # one key, hundreds a minute
    from app.access.api_keys import create_api_key
    from app.config import get_settings
    from app.db import Database
    from app.main import create_app
    from app.models.common import Role
    from bench import baseline_app

    get_settings.cache_clear()
    db = Database(pg.app_url(name), get_settings())
    if os.environ.get("BENCH_PRE_PING") in ("0", "1"):  # A/B of the pool's pre-ping
        from sqlalchemy.ext.asyncio import create_async_engine

        from app.db import SERVER_SETTINGS, make_sessionmaker

        await db.engine.dispose()
        db.engine = create_async_engine(
            pg.app_url(name),
            pool_size=10,
            max_overflow=20,
            pool_pre_ping=os.environ["BENCH_PRE_PING"] == "1",
            connect_args={"server_settings": SERVER_SETTINGS},
        )
        db.sessionmaker = make_sessionmaker(db.engine, db.settings)
    statements = StatementCount()
    event.listen(db.engine.sync_engine, "connect", statements.on_connect)
    async with db.sessionmaker() as session:
        _, admin = await create_api_key(session, role=Role.admin, department_code=None)
        _, oper = await create_api_key(session, role=Role.operator, department_code="zhkh")
        await session.commit()
    app = create_app(db=db)
    from app.main import freeze_startup_objects

    freeze_startup_objects()  # what the api's lifespan does after start-up

    event.listen(db.engine.sync_engine, "before_cursor_execute", statements)
    baseline_app.app.state.pool = await asyncpg.create_pool(pg.dsn(name), min_size=2, max_size=4)
    async with baseline_app.app.state.pool.acquire() as conn:
        await conn.execute(baseline_app.DDL)
    rng = random.Random(9)
    auth = {"Authorization": f"Bearer {admin}"}
    oauth = {"Authorization": f"Bearer {oper}"}
    start = 800_000_000 + (time.time_ns() // 1000) % 90_000_000  # fresh items every run
    pos = iter(range(start, 900_000_000))
    cases: dict[str, tuple[Any, Callable[[int], Any]]] = {
        "baseline_select": (baseline_app.app, lambda i: ("GET", "/items", None, {})),
        "list": (app, lambda i: ("GET", "/api/v1/tickets?limit=50", None, auth)),
        "list_filtered": (
            app,
            lambda i: ("GET", "/api/v1/tickets?status=in_progress", None, oauth),
        ),
        "search": (
            app,
            lambda i: ("GET", f"/api/v1/tickets?q={SEARCHES[i % len(SEARCHES)]}", None, auth),
        ),
        "baseline_item": (
            baseline_app.app,
            lambda i: ("GET", f"/items/{rng.randint(1, total)}", None, {}),
        ),
        "detail": (
            app,
            lambda i: ("GET", f"/api/v1/tickets/{rng.randint(1, total)}", None, auth),
        ),
        "baseline_insert": (
            baseline_app.app,
            lambda i: ("POST", "/ingest", *_signed(next(pos), rng)),
        ),
        "ingest": (
            app,
            lambda i: ("POST", "/api/v1/webhooks/feedback-platform", *_signed(next(pos), rng)),
        ),
    }
    out: dict[str, Any] = {}
    for key, (target, make) in cases.items():
        if (profile and key != profile) or (only and key != only):
            continue
        counted = statements if target is app else None
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=target), base_url="http://bench"
        ) as client:
            if profile:
                from pyinstrument import Profiler

                prof = Profiler(interval=0.001, async_mode="enabled")
                prof.start()
                out[key] = await measure(client, make, n, counted)
                prof.stop()
                print(prof.output_text(color=False, show_all=False))
            else:
                out[key] = await measure(client, make, n, counted)
    await baseline_app.app.state.pool.close()
    await db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--total", type=int, default=None, help="ticket ids 1..total exist")
    parser.add_argument("--profile", default=None, help="pyinstrument one case")
    parser.add_argument("--only", default=None, help="run one case (e.g. under py-spy)")
    args = parser.parse_args()

    async def _total() -> int:
        conn = await asyncpg.connect(pg.dsn(args.database))
        try:
            return int(await conn.fetchval("SELECT max(id) FROM tickets WHERE id < 700000000"))
        finally:
            await conn.close()

    total = args.total or asyncio.run(_total())
    print(
        json.dumps(
            asyncio.run(run(args.database, args.requests, total, args.profile, args.only)), indent=1
        )
    )


if __name__ == "__main__":
    main()
