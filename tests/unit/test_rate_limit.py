import pytest

from app.api.rate_limit import RateLimiter
from app.errors import RateLimited


def admitted(limiter: RateLimiter, key: str, *, now: float, tries: int) -> int:
    """How many of ``tries`` requests at ``now`` pass before the first refusal."""
    for n in range(tries):
        try:
            limiter.hit(key, now=now)
        except RateLimited:
            return n
    return tries


def test_limit_per_key_and_window() -> None:
    limiter = RateLimiter(3)
    assert admitted(limiter, "a", now=0.0, tries=3) == 3
    with pytest.raises(RateLimited) as info:
        limiter.hit("a", now=1.0)
    assert info.value.status == 429
    assert info.value.headers == {
        "Retry-After": "59",
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "59",
    }
    # Other keys are not affected: "b" gets its own three.
    assert admitted(limiter, "b", now=1.0, tries=4) == 3


def test_sliding_window_carries_part_of_the_previous_minute() -> None:
    limiter = RateLimiter(4)
    assert admitted(limiter, "a", now=59.0, tries=4) == 4
    # 15 s into the next minute, 75 % of the previous window (3 requests) still counts: one more.
    assert admitted(limiter, "a", now=75.0, tries=2) == 1
    with pytest.raises(RateLimited) as info:
        limiter.hit("a", now=75.5)
    assert info.value.headers["Retry-After"] == "45"  # the window ends at 120 s
    # Long after: a fresh window with the whole allowance.
    assert admitted(limiter, "a", now=200.0, tries=5) == 4


def test_zero_disables() -> None:
    limiter = RateLimiter(0)
    assert admitted(limiter, "a", now=0.0, tries=1000) == 1000
