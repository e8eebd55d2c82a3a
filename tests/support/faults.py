"""A webhook sender that retries unacknowledged deliveries, for the fault tests.

Each item is one ПОС message with its own ``webhook-id``; the sender keeps that id on every
retry (as Standard Webhooks asks) and records every answer it got, so a test can check that
a 2xx was only ever given for something stored, and that retries never stored anything twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.webhooks import NEW_SECRET, POS_URL, encode, sample, signed


def pos_item(pos_id: int, marker: str = "") -> dict[str, Any]:
    """A distinct ПОС message (no address, distinct text: never merged as a duplicate)."""
    item = sample("pos_message.json")
    item["posId"] = pos_id
    item["description"] = f"Обращение {pos_id}: не работает фонарь у подъезда {marker}".strip()
    item.pop("location", None)
    return item


@dataclass
class Answer:
    status: int
    retry_after: str | None
    outcome: str | None
    content_type: str


@dataclass
class RetryingSender:
    """Pushes items to ``base`` (which a test may change when it restarts the api)."""

    base: str
    secret: str = NEW_SECRET
    pause: float = 0.1
    limit: float = 180.0
    answers: dict[int, list[Answer]] = field(default_factory=dict)
    transport_errors: int = 0
    transport_error_kinds: set[str] = field(default_factory=set)
    acked: dict[int, dict[str, Any]] = field(default_factory=dict)

    async def deliver(self, client: httpx.AsyncClient, item: dict[str, Any]) -> None:
        """Send until a 2xx (same webhook-id every time); give up only after ``limit``."""
        pos_id = int(item["posId"])
        body = encode(item)
        msg_id = f"msg_{uuid.uuid4().hex}"
        deadline = time.monotonic() + self.limit
        while time.monotonic() < deadline:
            try:
                r = await client.post(
                    self.base + POS_URL, content=body, headers=signed(body, msg_id=msg_id)
                )
            except httpx.TransportError as exc:
                self.transport_errors += 1
                self.transport_error_kinds.add(type(exc).__name__)
                await asyncio.sleep(self.pause)
                continue
            outcome = None
            if r.headers.get("content-type", "").startswith("application/json"):
                outcome = r.json().get("outcome")
            self.answers.setdefault(pos_id, []).append(
                Answer(
                    r.status_code,
                    r.headers.get("retry-after"),
                    outcome,
                    r.headers.get("content-type", ""),
                )
            )
            if 200 <= r.status_code < 300:
                self.acked[pos_id] = r.json()
                return
            if r.status_code != 503:
                return  # anything else is a failure the test reports
            await asyncio.sleep(self.pause)  # faster than Retry-After: keeps the api under load
        raise AssertionError(f"item {pos_id} never acknowledged")

    async def run(self, items: list[dict[str, Any]], concurrency: int = 6) -> None:
        sem = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=2.0)) as client:

            async def one(item: dict[str, Any]) -> None:
                async with sem:
                    await self.deliver(client, item)

            await asyncio.gather(*(one(i) for i in items))

    def statuses(self) -> set[int]:
        return {a.status for answers in self.answers.values() for a in answers}

    def count(self, status: int) -> int:
        return sum(1 for answers in self.answers.values() for a in answers if a.status == status)


async def wait_for(check: Any, what: str, limit: float = 120.0) -> None:
    """Poll a sync predicate (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")
