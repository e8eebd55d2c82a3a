"""Intake figures, each beside its baseline in the same run (issue 16).

- Receipt: signed ПОС webhooks through wrk against an api whose pipeline is off
  (``APPEALS_INTAKE_IN_API=false``), so the figure is the receipt alone: verify, validate, one
  insert into the inbox, commit, 202. Baseline: ``bench/baseline_app.py``'s bare INSERT of the
  same bodies.
- Pipeline: what the receipt stored, made into tickets by ``drain`` in this process (one
  pipeline, batches of ``APPEALS_INTAKE_BATCH_MAX``): tickets per second and the batch sizes it
  took. Baseline: the receipt rate (how fast deliveries can arrive).

``python -m bench.intake [--duration S]`` runs it on a fresh database; ``bench.run`` calls
``receipt_and_pipeline`` inside its own run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from typing import Any

import httpx

from bench import harness, pg, scenarios
from bench.seed import prepare


async def drain_rate(ctx: scenarios.Context) -> dict[str, Any]:
    """Finish every waiting delivery with one in-process pipeline; tickets per second."""
    from app.config import get_settings
    from app.db import Database
    from app.intake.pipeline import drain
    from app.metrics.hooks import install_metric_hooks

    install_metric_hooks()
    settings = get_settings()
    db = Database(pg.app_url(ctx.name), settings)
    try:
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        done = await drain(db, batch=settings.intake_batch_max)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        await db.dispose()
    return {
        "deliveries": done,
        "seconds": round(seconds, 2),
        "per_s": round(done / seconds, 1) if seconds else None,
        "cpu_ms_per_delivery": round(cpu * 1000 / done, 2) if done else None,
    }


async def drain_in_processes(ctx: scenarios.Context, processes: int = 2) -> dict[str, Any]:
    """What the receipts stored, made into tickets by ``processes`` pipelines in their own
    processes at once (the issue's 1 api + 1 worker: two pipelines on the one database). Each
    process imports and connects first; the clock starts when all are ready."""
    return await asyncio.to_thread(_drain_in_processes, ctx.name, processes)


def _drain_in_processes(name: str, processes: int) -> dict[str, Any]:
    import subprocess
    import sys

    children = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.intake", "--drain-child", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        t0 = time.perf_counter()
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [json.loads(c.communicate(timeout=3600)[0]) for c in children]
        seconds = time.perf_counter() - t0
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    done = sum(r["deliveries"] for r in results)
    cpu = sum(r["cpu_s"] for r in results)
    return {
        "processes": processes,
        "deliveries": done,
        "seconds": round(seconds, 2),
        "per_s": round(done / seconds, 1) if seconds else None,
        "cpu_ms_per_delivery": round(cpu * 1000 / done, 2) if done else None,
        "each": [r["deliveries"] for r in results],
    }


async def _drain_child(name: str) -> None:
    """One pipeline process of ``drain_in_processes``: ready, wait for go, drain, report."""
    import sys

    from app.config import get_settings
    from app.db import Database
    from app.intake.pipeline import drain
    from app.metrics.hooks import install_metric_hooks

    install_metric_hooks()
    settings = get_settings()
    db = Database(pg.app_url(name), settings)
    try:
        async with db.sessionmaker() as session:  # connected and warm before the clock starts
            from app.directory import reference

            await reference.current(session)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        cpu0 = time.process_time()
        done = await drain(db, batch=settings.intake_batch_max)
        cpu = time.process_time() - cpu0
    finally:
        await db.dispose()
    print(json.dumps({"deliveries": done, "cpu_s": cpu}), flush=True)


async def store_deliveries(name: str, count: int, *, seed: int = 1) -> None:
    """``count`` ПОС webhook deliveries stored as the receipt stores them (``received``)."""
    from datetime import UTC, datetime

    import asyncpg

    from bench.bodies import pos_message

    rng = random.Random(seed)
    now = datetime.now(UTC)
    base = random.randrange(10**8)
    rows = [
        (
            "feedback-platform",
            f"msg_{base}_{i}",
            str(base + i),
            now,
            json.dumps(pos_message(base + i, rng, now), ensure_ascii=False).encode(),
        )
        for i in range(count)
    ]
    conn = await asyncpg.connect(pg.dsn(name))
    try:
        await conn.executemany(
            "INSERT INTO inbound_deliveries (source, kind, webhook_id, source_item_id, "
            "received_at, body, headers, outcome, errors, attempts) "
            "VALUES ($1, 'webhook', $2, $3, $4, $5, '{}', 'received', '[]', 0)",
            rows,
        )
    finally:
        await conn.close()


async def drain_only(count: int, rounds: int, processes: int = 1) -> list[dict[str, Any]]:
    """The pipeline alone: ``count`` stored deliveries drained, ``rounds`` times on one fresh
    database (each round finds the earlier rounds' tickets stored), by one pipeline in this
    process or by ``processes`` pipeline processes at once."""
    name = f"bench_intake_{random.randrange(10**6)}"
    ctx = scenarios.Context(name=name, duration=0, profile=False, rng=random.Random(1))
    await pg.create_database(name)
    out = []
    try:
        await prepare(name)
        for n in range(rounds):
            await store_deliveries(name, count, seed=n + 1)
            if processes > 1:
                out.append(await drain_in_processes(ctx, processes))
            else:
                out.append(await drain_rate(ctx))
    finally:
        await pg.drop_database(name)
    return out


async def steady_latency(
    ctx: scenarios.Context, *, rate: float = 50.0, seconds: float = 20.0
) -> dict[str, Any]:
    """Receipt → ticket at a steady ``rate`` of signed ПОС webhooks to one api with its
    pipeline on: each delivery's ``processed_at - received_at`` from the inbox (the database's
    own clock), p50/p99/max. Baseline: the same deliveries' 202 round trip as the sender saw it."""
    from datetime import UTC, datetime

    import asyncpg

    from app.connectors.base import signed_headers
    from bench.bodies import SECRET, pos_message

    rng = random.Random(50)
    count = int(rate * seconds)
    sent: list[float] = []
    with scenarios.served_app(ctx) as (_proc, base):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def one(n: int) -> None:
                now = datetime.now(UTC)
                message = pos_message(ctx.pos_id + n, rng, now)
                body = json.dumps(message, ensure_ascii=False).encode()
                msg_id = f"msg_steady_{ctx.pos_id + n}"
                headers = signed_headers(SECRET, msg_id=msg_id, timestamp=now, body=body)
                headers["content-type"] = "application/json"
                t0 = time.perf_counter()
                answer = await client.post(scenarios.WEBHOOK, content=body, headers=headers)
                sent.append(time.perf_counter() - t0)
                answer.raise_for_status()

            start = time.perf_counter()
            tasks = []
            for n in range(count):
                await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(one(n)))
            await asyncio.gather(*tasks)
            ctx.pos_id += count
            await asyncio.sleep(3)  # the last tickets
    conn = await asyncpg.connect(pg.dsn(ctx.name))
    try:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE outcome = 'created'), "
            "percentile_disc(0.5) WITHIN GROUP (ORDER BY processed_at - received_at), "
            "percentile_disc(0.99) WITHIN GROUP (ORDER BY processed_at - received_at), "
            "max(processed_at - received_at) FROM inbound_deliveries "
            "WHERE webhook_id LIKE 'msg_steady_%'"
        )
    finally:
        await conn.close()
    sent.sort()
    return {
        "rate": rate,
        "deliveries": count,
        "created": row[0],
        "p50_ms": round(row[1].total_seconds() * 1000, 1),
        "p99_ms": round(row[2].total_seconds() * 1000, 1),
        "max_ms": round(row[3].total_seconds() * 1000, 1),
        "receipt_p99_ms": round(sent[int(len(sent) * 0.99) - 1] * 1000, 1),
    }


async def receipt_and_pipeline(ctx: scenarios.Context) -> dict[str, Any]:
    unique = ctx.duration * 3000
    out: dict[str, Any] = {}
    with scenarios.served_baseline(ctx) as (bproc, bbase):
        out["baseline_insert"] = scenarios._load(
            ctx, bbase, scenarios._ingest_file(ctx, "/ingest", unique), bproc.proc.pid, mode="once"
        )
    with scenarios.served_app(ctx, APPEALS_INTAKE_IN_API="false") as (aproc, abase):
        out["ingest"] = scenarios._load(
            ctx,
            abase,
            scenarios._ingest_file(ctx, scenarios.WEBHOOK, unique),
            aproc.proc.pid,
            mode="once",
            name="ingest",
        )
    out["pipeline"] = await drain_rate(ctx)
    out["steady"] = await steady_latency(ctx)
    return out


async def main(duration: int, *, profile: bool = False) -> dict[str, Any]:
    name = f"bench_intake_{random.randrange(10**6)}"
    ctx = scenarios.Context(name=name, duration=duration, profile=profile, rng=random.Random(1))
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    await pg.create_database(name)
    try:
        await prepare(name)
        figures = await receipt_and_pipeline(ctx)
    finally:
        await pg.drop_database(name)
    ins, ing, pipe = figures["baseline_insert"], figures["ingest"], figures["pipeline"]
    steady = figures["steady"]
    figures["table"] = [
        {
            "figure": "receipt rps (signed ПОС webhook, 202)",
            "value": ing.get("rps"),
            "baseline": ins.get("rps"),
            "ratio": round(ing["rps"] / ins["rps"], 3) if ins.get("rps") else None,
            "target": "≥ 0.5",
        },
        {
            "figure": "receipt p99 ms",
            "value": ing.get("p99_ms"),
            "baseline": ins.get("p99_ms"),
            "target": "≤ 100 ms",
        },
        {
            "figure": "pipeline tickets/s (one process)",
            "value": pipe["per_s"],
            "baseline": ing.get("rps"),
            "ratio": round(pipe["per_s"] / ing["rps"], 3) if ing.get("rps") else None,
            "target": "-",
        },
        {
            "figure": f"receipt → ticket p99 ms at {steady['rate']:g}/s (api with its pipeline)",
            "value": steady["p99_ms"],
            "baseline": steady["receipt_p99_ms"],
            "target": "≤ 1000 ms",
        },
    ]
    return figures


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="py-spy the receipt")
    parser.add_argument(
        "--drain",
        type=int,
        metavar="N",
        help="the pipeline alone: store N deliveries and drain them (twice: fresh, then filled)",
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="with --drain: pipeline processes at once"
    )
    parser.add_argument("--drain-child", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drain_child:
        asyncio.run(_drain_child(args.drain_child))
        return
    if args.drain:
        for result in asyncio.run(drain_only(args.drain, rounds=2, processes=args.processes)):
            print(json.dumps(result, ensure_ascii=False))
        return
    report = asyncio.run(main(args.duration, profile=args.profile))
    print(json.dumps(report["table"], indent=2, ensure_ascii=False))
    print(json.dumps(report["pipeline"], ensure_ascii=False))
    print(json.dumps(report["steady"], ensure_ascii=False))
    if "profile_top" in report["ingest"]:
        print(json.dumps(report["ingest"]["profile_top"], indent=1, ensure_ascii=False))


if __name__ == "__main__":
    cli()
