"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.migrate import current_revisions, head_revisions

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the migrations' head."""
    checks: dict[str, Any] = {}
    ready = True
    try:
        async with request.app.state.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = await current_revisions(conn)
        heads = head_revisions()
        checks["database"] = "ok"
        checks["migrations"] = (
            "ok" if current == heads else f"at {sorted(current)}, head {sorted(heads)}"
        )
        ready = current == heads
    except Exception as exc:  # readiness reports; it never raises
        checks["database"] = f"unavailable: {type(exc).__name__}"
        ready = False
    for name, probe in getattr(request.app.state, "readiness_probes", {}).items():
        checks[name] = await probe()
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "5"},
    )
