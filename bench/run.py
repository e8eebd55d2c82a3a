"""Benchmarks side by side with their baselines, as ratios (`make bench` / `make bench-full`).

    python -m bench.run --short          # N = 100 000 tickets, 10 s per load
    python -m bench.run --full           # N = 1 000 000 tickets, 30 s per load
    python -m bench.run --short --profile --keep   # + py-spy profiles, keep the database

Seeds a scratch database ``bench_run_<pid>`` with COPY, serves the real app and the baseline
(bench/baseline_app.py) with uvicorn, loads both with wrk at 32 connections, prints a table of
figure / baseline / ratio and writes bench/results/<mode>-<time>.json. The machine is shared:
compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import harness, intake, pg, scenarios
from bench.seed import prepare, seed

MODES = {
    "short": {"n": 100_000, "small": 10_000, "duration": 10, "import_rows": 500},
    "full": {"n": 1_000_000, "small": 10_000, "duration": 30, "import_rows": 5000},
    "smoke": {
        "n": 20_000,
        "small": 5_000,
        "duration": 3,
        "import_rows": 500,
    },  # checks the harness itself
}


def _machine() -> dict[str, Any]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    head = f"{'figure':<42} {'value':>14} {'baseline':>14} {'ratio':>7}  target"
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if isinstance(r.get("ratio"), float) else "-"
        print(
            f"{r['figure']:<42} {r['value']!s:>14} {r.get('baseline', '-')!s:>14} {ratio:>7}  "
            f"{r.get('target', '')}"
        )


async def main(mode: str, *, profile: bool, keep: bool, database: str | None) -> dict[str, Any]:
    cfg = MODES[mode]
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    name = database or f"bench_run_{os.getpid()}"
    report: dict[str, Any] = {
        "mode": mode,
        "started_at": datetime.now(UTC).isoformat(),
        "machine": _machine(),
        "n": cfg["n"],
        "small_n": cfg["small"],
        "duration_s": cfg["duration"],
        "connections": 32,
        "load": os.getloadavg(),
        "seed": {},
        "figures": {},
    }
    ctx = scenarios.Context(
        name=name,
        duration=cfg["duration"],
        profile=profile,
        rng=random.Random(1),
        import_rows=cfg["import_rows"],
    )
    try:
        if database is None:
            await pg.create_database(name)
            await prepare(name)
            report["seed"]["small"] = await seed(name, cfg["small"], total=cfg["n"])
        await scenarios.make_keys(ctx)
        await scenarios.seed_metric_counters(ctx)
        # /metrics at the small size (the ratio target: ≤ 1.2 × this at N)
        with scenarios.served_app(ctx) as (_, base):
            report["figures"]["metrics_small"] = scenarios.metrics_scrape(ctx, base)
            await scenarios.fold_metric_counters(ctx)
            report["figures"]["metrics_small_folded"] = scenarios.metrics_scrape(ctx, base)
        await scenarios.seed_metric_counters(ctx)  # unfolded again for the figure at N
        if database is None:
            report["seed"]["large"] = await seed(
                name, cfg["n"] - cfg["small"], start_id=cfg["small"] + 1, total=cfg["n"]
            )
        ctx.total = cfg["n"]
        report["figures"].update(await scenarios.http_suite(ctx))
        # What the receipts stored (the apis ran without their pipeline): made into tickets by
        # two pipeline processes at once, as in 1 api + 1 worker.
        report["figures"]["pipeline"] = await intake.drain_in_processes(ctx, 2)
        # Receipt → ticket at a steady 50 deliveries/s, one api with its pipeline on.
        report["figures"]["steady"] = await intake.steady_latency(ctx)
        partial = harness.RESULTS / f"{mode}-partial.json"
        partial.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        (harness.RESULTS / f"explain-{mode}.txt").write_text(await scenarios.explain(ctx))
        # Last: the sweep bench opens every ticket (it changes the data set).
        report["figures"].update(await scenarios.offline_suite(ctx))
    finally:
        if not keep and database is None:
            await pg.drop_database(name)
    report["finished_at"] = datetime.now(UTC).isoformat()
    report["table"] = scenarios.table(report)
    return report


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--short", action="store_const", dest="mode", const="short")
    group.add_argument("--full", action="store_const", dest="mode", const="full")
    group.add_argument("--smoke", action="store_const", dest="mode", const="smoke")
    parser.add_argument("--profile", action="store_true", help="py-spy the hot endpoints")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument("--database", help="reuse a seeded bench_* database (no seeding)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install -y wrk")
    mode = args.mode or "short"
    t0 = time.perf_counter()
    report = asyncio.run(main(mode, profile=args.profile, keep=args.keep, database=args.database))
    report["wall_seconds"] = round(time.perf_counter() - t0, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = harness.RESULTS / f"{mode}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print_table(report["table"])
    print(f"\nN = {report['n']} tickets; results: {out}")


if __name__ == "__main__":
    _ = httpx  # the scenarios use httpx; imported here so a missing dep fails early
    cli()
