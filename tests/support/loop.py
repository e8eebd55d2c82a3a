"""The whole loop on real processes, shared by the end-to-end tests: source simulators, a
worker whose relay answers back to them, and polling helpers."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.servers import Process, app_env, free_port, wait_http

POS_SECRET = "whsec_" + "cG9zLXNpbXVsYXRvci1zZWNyZXQtZm9yLXRlc3Rz"
IM_SECRET = "whsec_" + "aW0tc2ltdWxhdG9yLXNlY3JldC1mb3ItdGVzdHM="
APPEALS = str(Path(sys.executable).parent / "appeals")
OPEN = {"new", "routed", "in_progress", "on_hold"}


def start_simulator(
    source: str,
    target: str,
    secret: str,
    tmp_path: Path,
    env: dict[str, str],
    *,
    count: int,
    seed: int,
    wait: float = 20.0,
) -> tuple[Process, str]:
    """A simulator pushing ``count`` signed items to ``target``; (process, its base URL)."""
    port = free_port()
    args = [
        APPEALS, "simulate", source, "--target", target, "--rate", "40", "--secret", secret,
        "--port", str(port), "--count", str(count), "--seed", str(seed),
    ]  # fmt: skip
    proc = Process(args, env, tmp_path / f"{source}.log")
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", timeout=wait, proc=proc)
    return proc, base


def relay_worker(
    database_url: str, pos: str, im: str, tmp_path: Path, n: int, **overrides: str
) -> Process:
    """`appeals worker` answering back to both simulators (ПОС polling credentials included)."""
    env = app_env(
        database_url,
        APPEALS_FEEDBACK_PLATFORM_URL=pos,
        APPEALS_INCIDENT_MANAGEMENT_URL=im,
        APPEALS_FEEDBACK_PLATFORM_OUTBOUND_SECRET=POS_SECRET,
        APPEALS_INCIDENT_MANAGEMENT_OUTBOUND_SECRET=IM_SECRET,
        APPEALS_FEEDBACK_PLATFORM_USERNAME="demo-client",
        APPEALS_FEEDBACK_PLATFORM_PASSWORD="demo-password",
        APPEALS_FEEDBACK_PLATFORM_CLIENT_ID="appeals-hub",
        APPEALS_FEEDBACK_PLATFORM_CLIENT_SECRET="demo-client-secret",
        APPEALS_OUTBOX_BACKOFF_BASE_SECONDS="0.5",
        APPEALS_OUTBOX_BACKOFF_CAP_SECONDS="3",
        **overrides,
    )
    return Process([APPEALS, "worker"], env, tmp_path / f"worker-{n}.log")


async def until(check, what: str, limit: float = 90.0) -> Any:  # type: ignore[no-untyped-def]
    """Poll ``check`` until it returns something truthy (a bound on waiting, not an assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


async def inbox_drained(db: Any) -> bool:
    """No delivery is waiting for the intake pipeline: every 202 so far has its outcome (a 202
    means stored; the ticket follows, made by a pipeline)."""
    from sqlalchemy import text

    async with db.sessionmaker() as session:
        waiting = (
            await session.exec(
                text("SELECT count(*) FROM inbound_deliveries WHERE outcome = 'received'")
            )
        ).one()[0]
    return bool(waiting == 0)


async def all_tickets(c: httpx.AsyncClient, source: str) -> list[dict[str, Any]]:
    """Every ticket of ``source`` the client's key sees, walking the cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"source": source, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = (await c.get("/api/v1/tickets", params=params)).json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


# A question of the classifier for appeals whose category has no default code (docs/SSTU.md).
FALLBACK_SSTU_CODE = "0003.0009.0097.0689"


async def record_sstu_outcome(
    c: httpx.AsyncClient, ticket_id: int, headers: dict[str, str] | None = None
) -> None:
    """Before a final answer: a 59-ФЗ appeal's questions get the outcome «разъяснено»
    (closing one needs it, docs/SSTU.md); other kinds are not reported and need nothing."""
    url = f"/api/v1/tickets/{ticket_id}/sstu"
    r = await c.get(url, headers=headers)
    assert r.status_code == 200, r.text
    if not r.json()["reported"]:
        return
    questions = [
        {"code": q["code"] or FALLBACK_SSTU_CODE, "status": "Explained"}
        for q in r.json()["questions"]
    ] or [{"code": FALLBACK_SSTU_CODE, "status": "Explained"}]
    r = await c.put(url, json={"questions": questions}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["missing"] == [], r.json()
