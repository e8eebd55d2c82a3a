import pytest

from app.api.rate_limit import RateLimiter
from app.errors import RateLimited


def test_limit_per_key_and_window() -> None:
    limiter = RateLimiter(3)
    for _ in range(3):
        limiter.hit("a", now=0.0)
    with pytest.raises(RateLimited) as info:
        limiter.hit("a", now=1.0)
    assert info.value.status == 429
    assert info.value.headers["Retry-After"] == "59"
    assert info.value.headers["RateLimit-Limit"] == "3"
    limiter.hit("b", now=1.0)  # other keys are not affected


def test_sliding_window_carries_part_of_the_previous_minute() -> None:
    limiter = RateLimiter(4)
    for _ in range(4):
        limiter.hit("a", now=59.0)
    # 15 s into the next minute, 75 % of the previous window (3 requests) still counts.
    limiter.hit("a", now=75.0)
    with pytest.raises(RateLimited):
        limiter.hit("a", now=75.5)
    limiter.hit("a", now=200.0)  # long after: a fresh window


def test_zero_disables() -> None:
    limiter = RateLimiter(0)
    for _ in range(1000):
        limiter.hit("a", now=0.0)
