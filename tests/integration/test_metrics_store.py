import asyncio

from app.services import metrics_store


async def test_concurrent_increments_are_exact(db):
    async def bump(n: int) -> None:
        async with db.sessionmaker() as session:
            for _ in range(n):
                await metrics_store.increment(session, "appeals_test_total", {"source": "api"})
            await session.commit()

    await asyncio.gather(*(bump(25) for _ in range(8)))
    async with db.sessionmaker() as session:
        await metrics_store.observe(session, "appeals_test_seconds", {"source": "api"}, 1000.0)
        await session.commit()
        series = {
            (n, tuple(sorted(lab.items()))): v
            for n, lab, v in await metrics_store.read_all(session)
        }
    assert series[("appeals_test_total", (("source", "api"),))] == 200
    assert series[("appeals_test_seconds_count", (("source", "api"),))] == 1
    assert (
        series[("appeals_test_seconds_bucket", (("le", "900.0"), ("source", "api")))] == 0
        if (("appeals_test_seconds_bucket", (("le", "900.0"), ("source", "api"))) in series)
        else True
    )
    assert series[("appeals_test_seconds_bucket", (("le", "1800.0"), ("source", "api")))] == 1
