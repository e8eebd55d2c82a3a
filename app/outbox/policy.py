"""Pure rules of the outbox relay: what a response means and when to try again."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Outcome(StrEnum):
    sent = "sent"
    retry = "retry"
    dead = "dead"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str  # bounded code: ok, http_4xx, http_5xx, rate_limited, timeout, network, …
    retry_after: float | None = None


# 408 Request Timeout, 425 Too Early and 429 Too Many Requests are the 4xx worth retrying.
_RETRYABLE_4XX = frozenset({408, 425, 429})


def classify_status(status: int, retry_after: str | None, *, now: datetime) -> Verdict:
    """2xx → sent; 429/503 (and other 5xx) → retry, honouring Retry-After; other 4xx → dead."""
    if 200 <= status < 300:
        return Verdict(Outcome.sent, "ok")
    if status in _RETRYABLE_4XX or status >= 500:
        reason = "rate_limited" if status == 429 else f"http_{status // 100}xx"
        wait = parse_retry_after(retry_after, now=now) if status in (429, 503) else None
        return Verdict(Outcome.retry, reason, wait)
    # 3xx is not followed (a source must not move us elsewhere silently); 4xx is permanent.
    return Verdict(Outcome.dead, f"http_{status // 100}xx")


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(
    attempt: int,
    *,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random, capped."""
    step = min(cap, base * (2 ** max(0, attempt - 1)))
    return step / 2 + rand() * step / 2


def next_delay(
    verdict: Verdict,
    attempt: int,
    *,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait before the next attempt: the source's Retry-After wins when it is longer."""
    delay = backoff_seconds(attempt, base=base, cap=cap, rand=rand)
    if verdict.retry_after is not None:
        # Honour the source's own wish, but never wait longer than the cap (a bad header
        # must not park a citizen's answer for a week).
        delay = min(cap, max(verdict.retry_after, 0.0))
    return delay
