"""The api tier signs console users in and out many times: argon2 at its cheapest here.

Production hashes with the library's defaults (``tests/unit/test_password_hashing.py`` holds
that); sign-in, lockout and timing-equal unknown logins do not depend on the cost, and the
e2e tier (the browser, `appeals users`) runs the real cost end to end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from app.access import users


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(users, "_hasher", cheap)
    monkeypatch.setattr(users, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
    yield
