"""The benchmark scenarios: each app figure next to its baseline, measured back to back."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from bench import harness, pg
from bench.bodies import SECRET, signed_lines
from tests.support.servers import Process

WEBHOOK = "/api/v1/webhooks/feedback-platform"
DEPARTMENTS = ["zhkh", "roads", "blago"]
SEARCHES = ["отопление", "яма", "мусор", "нет воды", "снег", "фонари", "лифт", "автобус", "свалка"]


@dataclass
class Context:
    name: str
    duration: int
    profile: bool
    rng: random.Random
    total: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    pos_id: int = 900_000_000
    import_rows: int = 2000

    def env(self) -> dict[str, str]:
        return {
            "APPEALS_DATABASE_URL": pg.app_url(self.name),
            "APPEALS_MIGRATE_ON_START": "false",
            "APPEALS_ENVIRONMENT": "prod",
            "APPEALS_LOG_JSON": "true",
            "APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": SECRET,
            "APPEALS_RATE_LIMIT_PER_MINUTE": "0",  # measure the api, not the per-key limiter
            "BENCH_DATABASE_URL": pg.dsn(self.name),
        }

    def file(self, name: str) -> Path:
        return harness.RESULTS / f"{self.name}-{name}.txt"


async def make_keys(ctx: Context) -> None:
    from app.access.api_keys import create_api_key
    from app.config import get_settings
    from app.db import Database
    from app.models.common import Role

    db = Database(pg.app_url(ctx.name), get_settings())
    try:
        async with db.sessionmaker() as session:
            _, ctx.keys["admin"] = await create_api_key(
                session, role=Role.admin, department_code=None
            )
            for dept in DEPARTMENTS:
                _, ctx.keys[dept] = await create_api_key(
                    session, role=Role.operator, department_code=dept
                )
            await session.commit()
    finally:
        await db.dispose()


async def seed_metric_counters(ctx: Context) -> None:
    """Fill metric_counters as months of traffic would (its size depends on label sets only)."""
    from app.metrics.catalog import DURATION_BUCKETS
    from app.metrics.store import SHARDS, encode_labels

    conn = await asyncpg.connect(pg.dsn(ctx.name))
    try:
        depts = [r[0] for r in await conn.fetch("SELECT code FROM departments")]
        series: list[tuple[str, str]] = []
        for src, ch in [
            ("feedback_platform", "gosuslugi"),
            ("incident_management", "vk"),
            ("incident_management", "ok"),
            ("incident_management", "telegram"),
            ("chatbot", "telegram"),
            ("api", "phone"),
        ]:
            series.append(
                ("appeals_tickets_received_total", encode_labels({"source": src, "channel": ch}))
            )
        for d in depts:
            for method in ("category", "rule", "triage", "explicit"):
                series.append(
                    (
                        "appeals_tickets_routed_total",
                        encode_labels({"department": d, "method": method}),
                    )
                )
            for st in ("new", "routed", "in_progress", "on_hold"):
                series.append(
                    ("appeals_tickets_open", encode_labels({"status": st, "department": d}))
                )
            # The sweeper's durable resolution overdue gauge (app.metrics.overdue).
            overdue = {"department": d, "target": "resolution"}
            series.append(("appeals_tickets_overdue", encode_labels(overdue)))
        # Answer times are by kind, city-wide (app/metrics/catalog.py).
        for kind in ("pos_message", "fz59_appeal", "social_post", "anonymous_report"):
            for hist in ("appeals_first_response_seconds", "appeals_resolution_seconds"):
                labels = {"kind": kind}
                for le in [*(str(float(b)) for b in DURATION_BUCKETS), "+Inf"]:
                    series.append((f"{hist}_bucket", encode_labels({**labels, "le": le})))
                series.append((f"{hist}_sum", encode_labels(labels)))
                series.append((f"{hist}_count", encode_labels(labels)))
        rows = [
            (n, lab, s, float(ctx.rng.randint(1, 5000))) for n, lab in series for s in range(SHARDS)
        ]
        await conn.execute("DELETE FROM metric_counters")
        await conn.copy_records_to_table(
            "metric_counters", records=rows, columns=("name", "labels", "shard", "value")
        )
    finally:
        await conn.close()


async def fold_metric_counters(ctx: Context) -> dict[str, int]:
    """What the worker's ``metrics_fold`` loop does every minute (fold, then VACUUM); the
    table's size before and after."""
    from sqlalchemy.dialects import postgresql

    from app.metrics.store import _FOLD

    conn = await asyncpg.connect(pg.dsn(ctx.name))
    try:
        before = await conn.fetchval("SELECT count(*) FROM metric_counters")
        await conn.execute(str(_FOLD.compile(dialect=postgresql.dialect())))
        await conn.execute("VACUUM (SKIP_LOCKED) metric_counters")
        after = await conn.fetchval("SELECT count(*) FROM metric_counters")
    finally:
        await conn.close()
    return {"before": before, "after": after}


@contextlib.contextmanager
def served_app(ctx: Context, workers: int = 1, **env: str) -> Iterator[tuple[Process, str]]:
    proc, base = harness.uvicorn("app.asgi:app", {**ctx.env(), **env}, workers=workers, name="api")
    try:
        yield proc, base
    finally:
        proc.stop()


@contextlib.contextmanager
def served_baseline(ctx: Context) -> Iterator[tuple[Process, str]]:
    proc, base = harness.uvicorn("bench.baseline_app:app", ctx.env(), name="baseline")
    try:
        yield proc, base
    finally:
        proc.stop()


def metrics_scrape(ctx: Context, base: str, repeat: int = 40) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=30) as client:
        if client.get("/metrics").status_code == 404:
            return {"status": "not available"}
        for _ in range(3):
            client.get("/metrics")
        result = harness.timed(lambda: client.get("/metrics").raise_for_status(), repeat)
        result["bytes"] = len(client.get("/metrics").content)
    return result


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _list_lines(ctx: Context, kind: str) -> list[tuple[str, str, dict[str, str], str]]:
    lines = []
    rng = random.Random(3)
    for _ in range(500):
        dept = rng.choice(DEPARTMENTS)
        if kind == "list":
            who, params = "admin", {"limit": 50}
        elif kind == "filtered":
            who = dept
            params = rng.choice(
                [
                    {"status": "in_progress"},
                    {"status": "routed"},
                    {"priority": "high"},
                    {"district": rng.choice(["center", "north", "south"])},
                    {"overdue": "true"},
                    {"source": "incident_management"},
                ]
            )
        else:
            who = rng.choice(["admin", dept])
            params = {"q": rng.choice(SEARCHES)}
        lines.append(("GET", f"/api/v1/tickets?{urlencode(params)}", _auth(ctx.keys[who]), ""))
    return lines


def _detail_lines(ctx: Context, prefix: str) -> list[tuple[str, str, dict[str, str], str]]:
    rng = random.Random(5)
    headers = _auth(ctx.keys["admin"]) if prefix.startswith("/api") else {}
    return [("GET", f"{prefix}/{rng.randint(1, ctx.total)}", headers, "") for _ in range(5000)]


def _has_path(base: str, path: str) -> bool:
    spec = httpx.get(base + "/openapi.json", timeout=30).json()
    return path in spec.get("paths", {})


def _ingest_file(ctx: Context, url_path: str, count: int) -> Path:
    path = ctx.file(f"ingest-{url_path.strip('/').replace('/', '_')}")
    signed_lines(str(path), count, start_id=ctx.pos_id, url_path=url_path)
    ctx.pos_id += count
    return path


def _load(
    ctx: Context,
    base: str,
    file: Path,
    pid: int,
    *,
    mode: str = "cycle",
    name: str = "",
    connections: int = 32,
    threads: int = 2,
) -> dict[str, Any]:
    spy = None
    if ctx.profile and name and connections > 1:
        spy = harness.profile(pid, ctx.duration, harness.RESULTS / f"profile-{name}.txt")
    result = harness.wrk(
        base,
        file,
        duration=ctx.duration if connections > 1 else max(5, ctx.duration // 2),
        connections=connections,
        threads=threads,
        mode=mode,
        pid=pid,
    )
    if spy is not None:
        spy.wait(timeout=ctx.duration + 30)
        result["profile_top"] = harness.summarise_profile(
            harness.RESULTS / f"profile-{name}.txt", top=40
        )
    return result


async def http_suite(ctx: Context) -> dict[str, Any]:
    """Every HTTP figure of the real app with the baseline measured right before it."""
    out: dict[str, Any] = {}
    files = {
        "b_list": harness.write_requests(ctx.file("b_list"), [("GET", "/items", {}, "")]),
        "b_item": harness.write_requests(ctx.file("b_item"), _detail_lines(ctx, "/items")),
        "list": harness.write_requests(ctx.file("list"), _list_lines(ctx, "list")),
        "filtered": harness.write_requests(ctx.file("filtered"), _list_lines(ctx, "filtered")),
        "search": harness.write_requests(ctx.file("search"), _list_lines(ctx, "search")),
        "detail": harness.write_requests(ctx.file("detail"), _detail_lines(ctx, "/api/v1/tickets")),
    }
    unique = ctx.duration * 3000  # more than either side can take in the run
    # The apis run without their intake pipeline: "ingest" is the receipt alone (the 202), and
    # what it stored is made into tickets afterwards, measured apart (bench.intake.drain_rate).
    quiet = {"APPEALS_INTAKE_IN_API": "false"}
    with served_baseline(ctx) as (bproc, bbase), served_app(ctx, **quiet) as (aproc, abase):
        ingest_ok = _has_path(abase, WEBHOOK)
        for warm in ("b_list", "list", "search"):
            harness.wrk(bbase if warm.startswith("b_") else abase, files[warm], duration=2)
        # /metrics at N as at the small size: the inbox empty. (After the receipt loads below
        # their deliveries wait, the pipeline being off, and the backlog gauge counts them:
        # measured apart as "metrics_backlog".)
        out["metrics_large"] = metrics_scrape(ctx, abase)
        # What the worker's metrics_fold loop leaves: about one row per series.
        out["metrics_folded_rows"] = await fold_metric_counters(ctx)
        out["metrics_large_folded"] = metrics_scrape(ctx, abase)
        if ingest_ok:
            out["baseline_insert"] = _load(
                ctx, bbase, _ingest_file(ctx, "/ingest", unique), bproc.proc.pid, mode="once"
            )
            out["ingest"] = _load(
                ctx,
                abase,
                _ingest_file(ctx, WEBHOOK, unique),
                aproc.proc.pid,
                mode="once",
                name="ingest",
            )
        else:
            out["ingest"] = {"status": "not available (no webhook route yet)"}
        out["baseline_select"] = _load(ctx, bbase, files["b_list"], bproc.proc.pid)
        out["list"] = _load(ctx, abase, files["list"], aproc.proc.pid, name="list")
        out["list_filtered"] = _load(
            ctx, abase, files["filtered"], aproc.proc.pid, name="list_filtered"
        )
        out["search"] = _load(ctx, abase, files["search"], aproc.proc.pid, name="search")
        out["baseline_select_again"] = _load(ctx, bbase, files["b_list"], bproc.proc.pid)
        out["baseline_item"] = _load(ctx, bbase, files["b_item"], bproc.proc.pid)
        out["detail"] = _load(ctx, abase, files["detail"], aproc.proc.pid, name="detail")
        # Service time: one connection, no queueing (the "server p95").
        for key, base, file, pid in (
            ("baseline_select_c1", bbase, files["b_list"], bproc.proc.pid),
            ("list_c1", abase, files["list"], aproc.proc.pid),
            ("list_filtered_c1", abase, files["filtered"], aproc.proc.pid),
            ("search_c1", abase, files["search"], aproc.proc.pid),
        ):
            out[key] = _load(ctx, base, file, pid, connections=1, threads=1)
        if ingest_ok:
            out["metrics_backlog"] = {
                **metrics_scrape(ctx, abase),
                "waiting": await _waiting(ctx),
            }
        out["api_rss_idle_mb"] = round(harness.rss_mb(aproc.proc.pid), 1)
        out["baseline_rss_idle_mb"] = round(harness.rss_mb(bproc.proc.pid), 1)
    # Scale-out: the same loads on `--workers 2`.
    with served_app(ctx, workers=2, **quiet) as (aproc, abase):
        harness.wrk(abase, files["list"], duration=2)
        if ingest_ok:
            out["ingest_w2"] = _load(
                ctx, abase, _ingest_file(ctx, WEBHOOK, unique), aproc.proc.pid, mode="once"
            )
        out["list_filtered_w2"] = _load(ctx, abase, files["filtered"], aproc.proc.pid)
    # The pool sized for the 32 connections (default 10 + 20 overflow: overflow connections
    # are closed on return and reopened, which the profiles show as Pool._create_connection).
    with served_app(ctx, APPEALS_DB_POOL_SIZE="32", APPEALS_DB_MAX_OVERFLOW="8", **quiet) as (
        aproc,
        abase,
    ):
        harness.wrk(abase, files["list"], duration=2)
        if ingest_ok:
            out["ingest_pool32"] = _load(
                ctx, abase, _ingest_file(ctx, WEBHOOK, unique), aproc.proc.pid, mode="once"
            )
        out["list_filtered_pool32"] = _load(ctx, abase, files["filtered"], aproc.proc.pid)
    return out


async def _waiting(ctx: Context) -> int:
    """Deliveries in the inbox waiting for a pipeline."""
    conn = await asyncpg.connect(pg.dsn(ctx.name))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM inbound_deliveries WHERE outcome = 'received'"
            )
        )
    finally:
        await conn.close()


async def offline_suite(ctx: Context) -> dict[str, Any]:
    """SLA sweep and Excel import, when those capabilities exist in the tree."""
    from bench import offline

    return await offline.run(ctx, import_rows=ctx.import_rows)


async def explain(ctx: Context) -> str:
    from bench.explain import explain_all

    return await explain_all(pg.dsn(ctx.name))


def _ratio(a: float | None, b: float | None) -> float | str:
    if not a or not b:
        return "-"
    return round(a / b, 2)


def table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Figure, value, baseline, ratio, target: what the doc and the console show."""
    f = report["figures"]
    rows: list[dict[str, Any]] = []

    def rps(key: str) -> float | None:
        return f.get(key, {}).get("rps")

    def add(figure: str, value: Any, baseline: Any, ratio: Any, target: str) -> None:
        rows.append(
            {
                "figure": figure,
                "value": value,
                "baseline": baseline,
                "ratio": ratio,
                "target": target,
            }
        )

    b_sel = max(filter(None, [rps("baseline_select"), rps("baseline_select_again")]), default=None)
    if "rps" in f.get("ingest", {}):
        add(
            "ingest rps (signed ПОС webhook, receipt → 202)",
            rps("ingest"),
            rps("baseline_insert"),
            _ratio(rps("ingest"), rps("baseline_insert")),
            "≥ 0.5",
        )
        add(
            "ingest p99 ms",
            f["ingest"]["p99_ms"],
            f["baseline_insert"]["p99_ms"],
            _ratio(f["ingest"]["p99_ms"], f["baseline_insert"]["p99_ms"]),
            "≤ 100 ms",
        )
    else:
        add("ingest rps", "n/a", "-", "-", f.get("ingest", {}).get("status", ""))
    for key, label in (
        ("list", "list newest 50 rps"),
        ("list_filtered", "list with filters rps"),
        ("search", "full-text search rps"),
    ):
        add(f"{label} @N", rps(key), b_sel, _ratio(rps(key), b_sel), "≥ 0.5")
        add(
            f"{label.replace(' rps', '')} p95 ms (32 conn)",
            f[key]["p95_ms"],
            f["baseline_select"]["p95_ms"],
            "-",
            "",
        )
    for key, label in (
        ("list_c1", "list newest"),
        ("list_filtered_c1", "list with filters"),
        ("search_c1", "search"),
    ):
        if key in f:
            add(
                f"{label} server p95 ms (1 conn)",
                f[key]["p95_ms"],
                f["baseline_select_c1"]["p95_ms"],
                _ratio(f[key]["p95_ms"], f["baseline_select_c1"]["p95_ms"]),
                "≤ 15 ms",
            )
    add(
        "ticket detail rps",
        rps("detail"),
        rps("baseline_item"),
        _ratio(rps("detail"), rps("baseline_item")),
        "≥ 0.5",
    )
    small, large = f.get("metrics_small", {}), f.get("metrics_large", {})
    if "median_ms" in large:
        add(
            f"/metrics scrape median ms @{report['n']} (vs @{report['small_n']})",
            large["median_ms"],
            small.get("median_ms"),
            _ratio(large["median_ms"], small.get("median_ms")),
            "≤ 50 ms, ≤ 1.2×",
        )
    folded = f.get("metrics_large_folded", {})
    small_folded = f.get("metrics_small_folded", small)
    if "median_ms" in folded:
        rows_n = f.get("metrics_folded_rows", {})
        add(
            f"/metrics median ms @{report['n']} (vs @{report['small_n']}), shards folded "
            f"({rows_n.get('before')} → {rows_n.get('after')} rows)",
            folded["median_ms"],
            small_folded.get("median_ms"),
            _ratio(folded["median_ms"], small_folded.get("median_ms")),
            "≤ 50 ms, ≤ 1.2×",
        )
    backlog = f.get("metrics_backlog", {})
    if "median_ms" in backlog:
        add(
            f"/metrics median ms @{report['n']}, {backlog.get('waiting')} deliveries waiting "
            f"(vs the inbox empty)",
            backlog["median_ms"],
            folded.get("median_ms") or large.get("median_ms"),
            _ratio(backlog["median_ms"], folded.get("median_ms") or large.get("median_ms")),
            "≤ 50 ms",
        )
    rss = max(
        [
            f[k].get("rss_mb", 0)
            for k in ("ingest", "list", "list_filtered", "search", "detail")
            if k in f
        ]
    )
    b_rss = max([f[k].get("rss_mb", 0) for k in ("baseline_insert", "baseline_select") if k in f])
    add("api RSS MB under load (1 process)", rss, b_rss, _ratio(rss, b_rss), "≤ 250 MB")
    if "pipeline" in f and "rps" in f.get("ingest", {}):
        pipe = f["pipeline"]
        add(
            f"intake pipeline deliveries/s ({pipe.get('processes', 1)} process(es)) vs receipt rps",
            pipe["per_s"],
            rps("ingest"),
            _ratio(pipe["per_s"], rps("ingest")),
            f"≥ 2000/s; cpu {pipe['cpu_ms_per_delivery']} ms/delivery",
        )
    if "steady" in f:
        steady = f["steady"]
        add(
            f"receipt → ticket p99 ms at {steady['rate']:g}/s vs the sender's 202 p99",
            steady["p99_ms"],
            steady["receipt_p99_ms"],
            None,
            "≤ 1000 ms",
        )
    if "ingest_w2" in f:
        add(
            "ingest rps --workers 2 vs 1",
            rps("ingest_w2"),
            rps("ingest"),
            _ratio(rps("ingest_w2"), rps("ingest")),
            "",
        )
    add(
        "list with filters rps --workers 2 vs 1",
        rps("list_filtered_w2"),
        rps("list_filtered"),
        _ratio(rps("list_filtered_w2"), rps("list_filtered")),
        "",
    )
    if "ingest_pool32" in f:
        add(
            "ingest rps, pool 32+8 vs default 30+0",
            rps("ingest_pool32"),
            rps("ingest"),
            _ratio(rps("ingest_pool32"), rps("ingest")),
            "",
        )
    if "list_filtered_pool32" in f:
        add(
            "list with filters rps, pool 32+8 vs default 30+0",
            rps("list_filtered_pool32"),
            rps("list_filtered"),
            _ratio(rps("list_filtered_pool32"), rps("list_filtered")),
            "",
        )
    for row in f.values():
        if isinstance(row, dict) and "table" in row:
            rows.extend(row["table"])
    for row in rows:
        for k in ("value", "baseline"):
            if isinstance(row[k], float):
                row[k] = round(row[k], 1)
    return rows
