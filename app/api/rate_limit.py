"""Per-key rate limiting (a sliding-window counter per api process).

Kept in process memory on purpose: a database round trip per request would cost more than
the protection is worth. With N api replicas the effective limit is N × the setting, which
the operations guide states; the limit exists to stop a runaway integration, not to meter.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from app.errors import RateLimited


@dataclass
class _Window:
    start: float
    current: int
    previous: int


class RateLimiter:
    """Sliding window approximation over two fixed one-minute windows."""

    def __init__(self, per_minute: int, *, max_keys: int = 10_000) -> None:
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def hit(self, key: str, now: float | None = None) -> None:
        """Count one request for ``key``; raise ``RateLimited`` when over the limit."""
        if self.per_minute <= 0:
            return
        now = time.monotonic() if now is None else now
        window_start = now - (now % 60)
        w = self._windows.get(key)
        if w is None or w.start < window_start - 60:
            w = _Window(window_start, 0, 0)
        elif w.start < window_start:
            w = _Window(window_start, 0, w.current)
        weight = 1 - (now - window_start) / 60
        used = w.previous * weight + w.current
        if used + 1 > self.per_minute:
            retry = max(1, math.ceil(window_start + 60 - now))
            error = RateLimited(
                f"more than {self.per_minute} requests a minute for this key; retry later"
            )
            error.headers.update(
                {
                    "Retry-After": str(retry),
                    "RateLimit-Limit": str(self.per_minute),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(retry),
                }
            )
            self._windows[key] = w
            raise error
        w.current += 1
        self._windows[key] = w
        self._windows.move_to_end(key)
        while len(self._windows) > self.max_keys:
            self._windows.popitem(last=False)
