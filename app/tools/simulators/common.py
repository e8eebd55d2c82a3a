"""What both simulators share: the answer inbox, fault injection, and the signed pusher."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.connectors.base import signed_headers, verify_standard_webhook
from app.errors import SignatureInvalid

log = logging.getLogger("app.tools.simulators")


class Control(BaseModel):
    """Fault injection for tests: hold answers (to kill a relay mid-delivery), fail some."""

    hold: bool | None = None
    fail_next: int | None = None
    fail_status: int | None = None
    retry_after: str | None = None


@dataclass
class AnswerInbox:
    """Answers the hub sent back, deduplicated on the stable message id (``webhook-id``)."""

    secret: str | None
    received: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)  # message id → deliveries seen
    rejected_signatures: int = 0
    hold: bool = False
    fail_next: int = 0
    fail_status: int = 503
    retry_after: str | None = "1"
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def accept(self, request: Request, *, on_new: Callable[[dict[str, Any]], None]) -> Any:
        body = await request.body()
        headers = dict(request.headers)
        if self.secret:
            try:
                verify_standard_webhook(body, headers, secrets=[self.secret], now=datetime.now(UTC))
            except SignatureInvalid as exc:
                self.rejected_signatures += 1
                return JSONResponse({"error": exc.detail}, status_code=401)
        message_id = headers.get("webhook-id") or headers.get("idempotency-key") or ""
        if not message_id:
            return JSONResponse({"error": "no message id"}, status_code=400)
        if self.fail_next > 0:
            self.fail_next -= 1
            extra = {"Retry-After": self.retry_after} if self.retry_after else None
            return JSONResponse({"error": "injected"}, status_code=self.fail_status, headers=extra)
        self.seen[message_id] = self.seen.get(message_id, 0) + 1
        duplicate = self.seen[message_id] > 1
        if not duplicate:
            envelope = json.loads(body)
            data = envelope.get("data") or {}
            record = {
                "message_id": message_id,
                "type": envelope.get("type"),
                "answer_id": data.get("answer_id"),
                "source_id": data.get("source_id"),
                "source_url": data.get("source_url"),
                "status": data.get("source_status"),
                "text": data.get("text"),
                "received_at": datetime.now(UTC).isoformat(),
            }
            self.received.append(record)
            on_new(record)
        if self.hold:
            # The relay now waits on us: a test kills it here, "mid-delivery".
            await self.released.wait()
        return {"accepted": True, "duplicate": duplicate}

    def control(self, c: Control) -> dict[str, Any]:
        if c.hold is not None:
            self.hold = c.hold
            if c.hold:
                self.released.clear()
            else:
                self.released.set()
        if c.fail_next is not None:
            self.fail_next = c.fail_next
        if c.fail_status is not None:
            self.fail_status = c.fail_status
        if c.retry_after is not None:
            self.retry_after = c.retry_after or None
        return {"hold": self.hold, "fail_next": self.fail_next}


def simulator_router(inbox: AnswerInbox, pusher: Pusher) -> APIRouter:
    """Endpoints for tests and curious humans: what arrived, what was pushed, fault control."""
    router = APIRouter(prefix="/simulator", tags=["simulator"])

    @router.get("/received")
    async def received() -> dict[str, Any]:
        return {
            "answers": inbox.received,
            "deliveries": sum(inbox.seen.values()),
            "duplicates": sum(n - 1 for n in inbox.seen.values()),
            "rejected_signatures": inbox.rejected_signatures,
        }

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return pusher.stats()

    @router.post("/control")
    async def control(c: Control) -> dict[str, Any]:
        return inbox.control(c)

    return router


@dataclass
class Push:
    body: dict[str, Any]
    message_id: str = field(default_factory=lambda: f"msg_{uuid.uuid4().hex}")
    label: str = "new"  # new, repeat, update, late_old


class Pusher:
    """Sends signed deliveries to the hub at a rate; retries a refused/failed one a few times."""

    def __init__(
        self, *, target: str | None, secret: str | None, rate: float, rng: random.Random
    ) -> None:
        self.target = target
        self.secret = secret
        self.rate = rate
        self.rng = rng
        self.counts: dict[str, int] = {}
        self.statuses: dict[str, int] = {}
        self.items: list[str] = []
        # Pushes caused by what the hub sent back (a citizen rating its answer): sent next.
        self.follow_ups: list[Push] = []
        self.done = False

    def follow_up(self, push: Push) -> None:
        """Send ``push`` with the next item (the source reacting to the hub)."""
        self.follow_ups.append(push)

    def stats(self) -> dict[str, Any]:
        return {
            "pushed": self.counts,
            "responses": self.statuses,
            "items": self.items,
            "done": self.done,
        }

    async def send(self, client: httpx.AsyncClient, push: Push) -> int | None:
        assert self.target is not None
        raw = json.dumps(push.body, ensure_ascii=False).encode()
        status = None
        for attempt in range(5):
            headers = {"Content-Type": "application/json"}
            if self.secret:
                headers.update(
                    signed_headers(
                        self.secret, msg_id=push.message_id, timestamp=datetime.now(UTC), body=raw
                    )
                )
            try:
                response = await client.post(self.target, content=raw, headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                status = None
            if status is not None and status < 500 and status != 429:
                break
            await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
        key = str(status) if status is not None else "network"
        self.statuses[key] = self.statuses.get(key, 0) + 1
        self.counts[push.label] = self.counts.get(push.label, 0) + 1
        return status

    async def run(self, script: Callable[[], list[tuple[int, Push]]], *, count: int) -> None:
        """Push ``count`` items (0: forever). ``script`` makes one item's pushes, each with how
        many items later it goes out, so updates and late old copies interleave with others."""
        if not self.target:
            self.done = True
            return
        later: list[tuple[int, Push]] = []
        async with httpx.AsyncClient(timeout=15.0) as client:
            made = 0
            while count == 0 or made < count:
                for delay, push in script():
                    later.append((made + delay, push))
                due = [p for at, p in later if at <= made] + self.follow_ups
                later = [(at, p) for at, p in later if at > made]
                self.follow_ups = []
                for push in due:
                    await self.send(client, push)
                    await asyncio.sleep(1.0 / self.rate if self.rate > 0 else 0)
                made += 1
            for _, push in sorted(later, key=lambda x: x[0]):
                await self.send(client, push)
        self.done = True
        log.info("simulator pushed %d items", made)


def add_common(app: FastAPI, inbox: AnswerInbox, pusher: Pusher) -> None:
    app.include_router(simulator_router(inbox, pusher))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}
