"""A real Prometheus scrapes a real api with the project's rules loaded; every PromQL expression
of the dashboards, recording rules and alert rules is valid and returns data."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import text

from app.intake import connector_health
from app.metrics import catalog
from app.metrics import store as metrics_store
from app.models.common import Status
from app.models.tickets import Ticket
from app.outbox import service as outbox
from app.tickets.status import apply_status
from tests.support.builders import make_ticket
from tests.support.servers import ROOT, Process, free_port, start_api, wait_http

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
# Alerts that need a fault the test does not cause (5xx answers, a target down): their
# expression must still be valid, and its left-hand side must return data.
NOT_FIRING = {"AppealsHttp5xx", "AppealsMetricsScrapeDown"}


_texts = itertools.count()


def own_text() -> str:
    """A text with no address: automatic duplicate detection leaves the ticket alone."""
    return f"Холодные батареи, заявка {next(_texts)}"


def dashboard_exprs() -> list[str]:
    exprs = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            exprs.extend(t["expr"] for t in panel.get("targets", []) if t.get("expr"))
    return exprs


def rules() -> list[dict[str, Any]]:
    out = []
    for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            out.extend(group["rules"])
    return out


def left_of_threshold(expr: str) -> str:
    match = re.fullmatch(r"(?s)(.*\S)\s*(?:>=|<=|==|!=|>|<)\s*[\d.*\s]+", expr.strip())
    assert match, f"alert expression is not 'query OP number': {expr}"
    return match.group(1)


def prometheus_config(tmp: Path, target: str) -> Path:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))],
        "scrape_configs": [
            {
                "job_name": "appeals",
                "metrics_path": "/metrics",
                "params": {"scope": ["business"]},
                "static_configs": [{"targets": [target], "labels": {"instance": "appeals"}}],
            },
            {
                "job_name": "appeals-api",
                "metrics_path": "/metrics",
                "params": {"scope": ["process"]},
                "static_configs": [{"targets": [target]}],
            },
        ],
    }
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def start_prometheus(tmp: Path, target: str) -> tuple[Process, str]:
    binary = shutil.which("prometheus")
    assert binary, "the prometheus server is installed by scripts/install-test-deps.sh"
    port = free_port()
    args = [
        binary,
        f"--config.file={prometheus_config(tmp, target)}",
        f"--storage.tsdb.path={tmp / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    proc = Process(args, env={}, log_path=tmp / "prometheus.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/-/ready", timeout=60.0, proc=proc)
    except BaseException:
        proc.stop()
        raise
    return proc, base


def query(base: str, expr: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "success", (expr, body)
    return body["data"]["result"]  # type: ignore[no-any-return]


def finite(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(s["value"][1])) for s in result)


def wait_until(base: str, expr: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(base, expr):
            return
        time.sleep(0.5)
    raise TimeoutError(f"Prometheus never answered {expr!r}")


async def seed(db, *, now: datetime, answered: int) -> None:
    """Tickets open, answered, overdue; connectors, outbox, webhook and SLA counters."""
    tickets = [
        await make_ticket(db, text=own_text(), now=now - timedelta(hours=5))
        for _ in range(answered + 1)
    ]
    await make_ticket(db, text=own_text(), now=now - timedelta(days=40), kind="fz59_appeal")
    async with db.sessionmaker() as session:
        for made in tickets[:answered]:
            ticket = await session.get(Ticket, made.id)
            assert ticket is not None
            apply_status(ticket, Status.answered, now=now)
        for target in ("feedback_platform", "department_webhook"):
            await outbox.enqueue(session, target=target, kind="answer", payload={}, ticket=ticket)
        # One message waits for an hour, the other gave up.
        await session.execute(
            text(
                "UPDATE outbox_messages SET created_at = :at, "
                "state = CASE WHEN target = 'department_webhook' THEN 'dead' ELSE state END"
            ),
            {"at": now - timedelta(hours=1)},
        )
        await connector_health.record_success(
            session, "incident_management", now=now - timedelta(hours=5)
        )
        for _ in range(6):
            await metrics_store.increment_many(
                session,
                [
                    (
                        catalog.TICKETS_RECEIVED,
                        {"source": "feedback_platform", "channel": "gosuslugi"},
                        1.0,
                    ),
                    (
                        catalog.WEBHOOK_DELIVERIES,
                        {"source": "feedback_platform", "outcome": "signature"},
                        1.0,
                    ),
                    (
                        catalog.SLA_AT_RISK,
                        {"department": "roads", "target": "resolution"},
                        1.0,
                    ),
                    (
                        catalog.SLA_BREACHES,
                        {"department": "roads", "target": "resolution"},
                        1.0,
                    ),
                    (
                        catalog.CITIZEN_FEEDBACK,
                        {
                            "source": "feedback_platform",
                            "department": "roads",
                            "sentiment": "positive",
                        },
                        1.0,
                    ),
                ],
            )
        await session.commit()


async def test_every_dashboard_and_rule_expression_returns_data(db, database_url, tmp_path):
    now = datetime.now(UTC)
    await seed(db, now=now, answered=2)
    api, api_base = await asyncio.to_thread(start_api, database_url, tmp_path)
    prom = None
    try:
        prom, prom_base = await asyncio.to_thread(
            start_prometheus, tmp_path, api_base.removeprefix("http://")
        )
        # Two scrapes of the first state, then more of everything, so increase() sees growth.
        await asyncio.to_thread(
            wait_until, prom_base, "count_over_time(appeals_tickets_open[1m]) >= 2"
        )
        await seed(db, now=now, answered=3)
        await asyncio.to_thread(
            wait_until, prom_base, 'appeals:sla_breaches:increase1h{department="roads"} > 0'
        )
        await asyncio.to_thread(wait_until, prom_base, "appeals:http_5xx:ratio_rate5m")

        checked = 0
        for expr in dashboard_exprs() + [r["expr"] for r in rules() if "record" in r]:
            result = await asyncio.to_thread(query, prom_base, expr)
            assert finite(result), f"no data for {expr!r}: {result}"
            checked += 1
        for rule in (r for r in rules() if "alert" in r):
            result = await asyncio.to_thread(query, prom_base, rule["expr"])
            if rule["alert"] in NOT_FIRING:
                lhs = await asyncio.to_thread(query, prom_base, left_of_threshold(rule["expr"]))
                assert finite(lhs), f"no data under {rule['alert']}: {lhs}"
            else:
                assert finite(result), f"{rule['alert']} does not fire on the seeded data"
            checked += 1
        assert checked == len(dashboard_exprs()) + len(rules())
    finally:
        if prom is not None:
            prom.stop()
        api.stop()
