"""The relay's pure rules: response classes, Retry-After, backoff with jitter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from app.outbox.policy import (
    Outcome,
    backoff_seconds,
    classify_status,
    next_delay,
    parse_retry_after,
)

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [
        (200, Outcome.sent, "ok"),
        (202, Outcome.sent, "ok"),
        (204, Outcome.sent, "ok"),
        (301, Outcome.dead, "http_3xx"),
        (400, Outcome.dead, "http_4xx"),
        (401, Outcome.dead, "http_4xx"),
        (404, Outcome.dead, "http_4xx"),
        (409, Outcome.dead, "http_4xx"),
        (422, Outcome.dead, "http_4xx"),
        (408, Outcome.retry, "http_4xx"),
        (429, Outcome.retry, "rate_limited"),
        (500, Outcome.retry, "http_5xx"),
        (503, Outcome.retry, "http_5xx"),
    ],
)
def test_classify(status: int, outcome: Outcome, reason: str) -> None:
    verdict = classify_status(status, None, now=NOW)
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


def test_retry_after_only_read_on_429_and_503() -> None:
    assert classify_status(429, "30", now=NOW).retry_after == 30.0
    assert classify_status(503, "7", now=NOW).retry_after == 7.0
    assert classify_status(500, "30", now=NOW).retry_after is None


def test_retry_after_forms() -> None:
    assert parse_retry_after("120", now=NOW) == 120.0
    assert (
        parse_retry_after(format_datetime(NOW + timedelta(seconds=90), usegmt=True), now=NOW) == 90
    )
    assert parse_retry_after(format_datetime(NOW - timedelta(hours=1), usegmt=True), now=NOW) == 0
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


def test_backoff_doubles_with_half_jitter_and_caps() -> None:
    low = [backoff_seconds(a, base=5, cap=100, rand=lambda: 0.0) for a in range(1, 7)]
    high = [backoff_seconds(a, base=5, cap=100, rand=lambda: 1.0) for a in range(1, 7)]
    assert low == [2.5, 5.0, 10.0, 20.0, 40.0, 50.0]
    assert high == [5.0, 10.0, 20.0, 40.0, 80.0, 100.0]


def test_retry_after_wins_but_is_capped() -> None:
    verdict = classify_status(429, "600", now=NOW)
    assert next_delay(verdict, 1, base=5, cap=3600, rand=lambda: 0.5) == 600
    assert next_delay(verdict, 1, base=5, cap=60, rand=lambda: 0.5) == 60
    plain = classify_status(500, None, now=NOW)
    assert next_delay(plain, 1, base=5, cap=3600, rand=lambda: 0.5) == 3.75
