import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from app.metrics import store as metrics_store
from app.metrics.catalog import DURATION_BUCKETS, Family
from app.workers.registry import loops

# Families of these tests only: the store takes any declaration, the scrape only the catalog's.
TEST_TOTAL = Family("appeals_test_total", "counter", "Test counter.", ("source",))
TEST_SECONDS = Family(
    "appeals_test_seconds", "histogram", "Test histogram.", ("source",), buckets=DURATION_BUCKETS
)
FOLD_TOTAL = Family("appeals_fold_total", "counter", "Test counter.", ("source",))


async def test_concurrent_increments_are_exact(db):
    async def bump(n: int) -> None:
        async with db.sessionmaker() as session:
            for _ in range(n):
                await metrics_store.increment(session, TEST_TOTAL, {"source": "api"})
            await session.commit()

    await asyncio.gather(*(bump(25) for _ in range(8)))
    async with db.sessionmaker() as session:
        await metrics_store.observe(session, TEST_SECONDS, {"source": "api"}, 1000.0)
        await session.commit()
        series = {
            (n, tuple(sorted(lab.items()))): v
            for n, lab, v in await metrics_store.read_all(session)
        }
    assert series[("appeals_test_total", (("source", "api"),))] == 200
    assert series[("appeals_test_seconds_count", (("source", "api"),))] == 1
    # Only the buckets an observation fell in have rows; the scrape completes the others.
    assert ("appeals_test_seconds_bucket", (("le", "900.0"), ("source", "api"))) not in series
    assert series[("appeals_test_seconds_bucket", (("le", "1800.0"), ("source", "api")))] == 1


async def test_connector_health_records_success_and_failures(db):
    from datetime import UTC, datetime, timedelta

    from app.intake import connector_health

    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    async with db.sessionmaker() as session:
        await connector_health.record_success(session, "feedback_platform", now=t0)
        await connector_health.record_success(session, "feedback_platform", now=t0 - timedelta(1))
        await connector_health.record_failure(
            session, "feedback_platform", reason="timeout", now=t0
        )
        await connector_health.record_failure(
            session, "feedback_platform", reason="timeout", now=t0
        )
        await session.commit()
        (row,) = await connector_health.all_health(session)
    assert row.last_success_at == t0
    assert row.failures == {"timeout": 2}


async def test_folding_shards_while_writers_run_keeps_every_increment(db):
    labels = [{"source": s} for s in ("api", "chatbot", "open311")]

    async def bump(n: int) -> None:
        for i in range(n):
            async with db.sessionmaker() as session:
                for label in labels[: 1 + i % 3]:
                    await metrics_store.increment(session, FOLD_TOTAL, label)
                await session.commit()

    async def fold(times: int) -> None:
        for _ in range(times):
            async with db.sessionmaker() as session:
                await metrics_store.fold_shards(session)
                await session.commit()
            await asyncio.sleep(0)

    await asyncio.gather(*(bump(30) for _ in range(6)), fold(40))
    # The worker's loop: the last fold, then VACUUM of what folding left dead.
    fold_loop = loops(db.settings)["metrics_fold"]
    assert fold_loop.singleton
    await fold_loop.run(db, datetime.now(UTC))
    async with db.sessionmaker() as session:
        totals = {
            lab["source"]: v
            for n, lab, v in await metrics_store.read_all(session)
            if n == "appeals_fold_total"
        }
        rows = (
            await session.exec(  # type: ignore[call-overload]
                text("SELECT shard, count(*) FROM metric_counters GROUP BY shard")
            )
        ).all()
    # Per writer: every pass bumps api, every 2nd of 3 chatbot too, every 3rd open311 too.
    assert totals == {"api": 180, "chatbot": 120, "open311": 60}
    assert {shard for shard, _ in rows} == {0}
