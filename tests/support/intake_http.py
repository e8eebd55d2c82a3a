"""Following a webhook's 202 on a real server: its ``Location`` until the pipeline finished it.

A 202 means the delivery is stored in the intake inbox; the ticket is made moments later by the
intake pipeline of some api process or worker. A sender (and an end-to-end test) reads
``GET {location}`` with an integration or admin key until ``status`` is no longer ``received``:
then it names the outcome and the ticket (``ticket_id``, ``ticket_number``), or ``invalid`` with
the reason it was quarantined.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

WAITING = "received"


async def follow(
    client: httpx.AsyncClient,
    location: str,
    headers: Mapping[str, str],
    *,
    limit: float = 60.0,
    pause: float = 0.05,
) -> dict[str, Any]:
    """The delivery's status once the pipeline has finished it (bounded wait; the bound is not
    a timing assertion). ``client`` has the api's ``base_url``; ``location`` is the 202's."""
    deadline = time.monotonic() + limit
    while True:
        r = await client.get(location, headers=dict(headers))
        assert r.status_code == 200, (location, r.status_code, r.text)
        status: dict[str, Any] = r.json()
        if status["status"] != WAITING:
            return status
        if time.monotonic() >= deadline:
            raise AssertionError(f"{location} still {WAITING!r} after {limit} s: {status}")
        await asyncio.sleep(pause)


async def processed(
    client: httpx.AsyncClient,
    accepted: httpx.Response,
    headers: Mapping[str, str],
    *,
    limit: float = 60.0,
) -> dict[str, Any]:
    """What became of the delivery a 202 named (its ``Location`` followed)."""
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    assert location == accepted.json()["location"], (location, accepted.json())
    return await follow(client, location, headers, limit=limit)


async def all_processed(
    client: httpx.AsyncClient,
    locations: Iterable[str],
    headers: Mapping[str, str],
    *,
    limit: float = 60.0,
) -> dict[str, dict[str, Any]]:
    """Each location's final status (one shared bound for all of them)."""
    deadline = time.monotonic() + limit
    out: dict[str, dict[str, Any]] = {}
    for location in dict.fromkeys(locations):
        left = max(0.0, deadline - time.monotonic())
        out[location] = await follow(client, location, headers, limit=left)
    return out
