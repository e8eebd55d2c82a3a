"""The baseline: the least work a durable receiver and a list page can do on this stack.

FastAPI + asyncpg, no ORM, no auth, no validation beyond JSON parsing:

- ``POST /ingest`` — one idempotent ``INSERT … ON CONFLICT DO NOTHING`` keyed by the
  ``webhook-id`` header, committed before the 202 (what a durable webhook receiver must do);
- ``GET /items`` — one indexed 50-row keyset ``SELECT`` on the real ``tickets`` table
  (``ix_tickets_created``), rows returned as JSON; ``?cursor=<created_at>,<id>`` pages on;
- ``GET /items/{id}`` — one primary-key ``SELECT`` (the baseline for ticket detail).

Run: ``BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench_x uvicorn bench.baseline_app:app``
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, Response

DDL = """
CREATE TABLE IF NOT EXISTS bench_baseline_deliveries (
    delivery_id text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    body jsonb NOT NULL
)
"""
INSERT = (
    "INSERT INTO bench_baseline_deliveries (delivery_id, body) VALUES ($1, $2::jsonb) "
    "ON CONFLICT (delivery_id) DO NOTHING"
)
COLUMNS = (
    "id, number, source, source_id, kind, channel, category_code, text, address, "
    "district_code, priority, status, department_code, resolution_due_at, created_at, "
    "updated_at, version"
)
PAGE_FIRST = f"SELECT {COLUMNS} FROM tickets ORDER BY created_at DESC, id DESC LIMIT 50"
PAGE_AFTER = (
    f"SELECT {COLUMNS} FROM tickets WHERE (created_at, id) < ($1, $2) "
    "ORDER BY created_at DESC, id DESC LIMIT 50"
)
ONE = f"SELECT {COLUMNS} FROM tickets WHERE id = $1"


def _dsn() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _row(record: asyncpg.Record) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The same pool size as the real app's default (db_pool_size=10, overflow 20).
    pool = await asyncpg.create_pool(_dsn(), min_size=10, max_size=30)
    async with pool.acquire() as conn:
        await conn.execute(DDL)
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/ingest", status_code=202)
async def ingest(request: Request) -> Response:
    body = await request.body()
    json.loads(body)  # a receiver must at least parse what it stores
    delivery_id = request.headers.get("webhook-id", "")
    async with request.app.state.pool.acquire() as conn:
        await conn.execute(INSERT, delivery_id, body.decode())
    return Response(status_code=202)


@app.get("/items")
async def items(request: Request, cursor: str | None = None) -> dict[str, Any]:
    async with request.app.state.pool.acquire() as conn:
        if cursor:
            raw_at, raw_id = cursor.split(",", 1)
            rows = await conn.fetch(PAGE_AFTER, datetime.fromisoformat(raw_at), int(raw_id))
        else:
            rows = await conn.fetch(PAGE_FIRST)
    out = [_row(r) for r in rows]
    next_cursor = f"{out[-1]['created_at']},{out[-1]['id']}" if len(out) == 50 else None
    return {"items": out, "next_cursor": next_cursor}


@app.get("/items/{item_id}")
async def item(request: Request, item_id: int) -> Response:
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(ONE, item_id)
    if row is None:
        return Response(status_code=404)
    return Response(json.dumps(_row(row), ensure_ascii=False), media_type="application/json")
