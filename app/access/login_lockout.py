"""Locking a console login after repeated failed sign-ins — one accounting for every login
name, whether it names a user or not, so the answers never tell which logins exist.

A user's counter lives on its ``console_users`` row (shared by every replica). A login that
names no enabled user has no row: its counter lives in ``UnknownLogins``, in the api process,
keyed by the SHA-256 of the name and bounded in size.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

MAX_FAILURES = 5  # failed sign-ins within WINDOW lock the login for LOCKOUT
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


class Failures(Protocol):
    """What the accounting reads and writes: a user row, or an unknown login's entry."""

    failed_logins: int
    first_failed_at: datetime | None
    locked_until: datetime | None


def is_locked(state: Failures, now: datetime) -> bool:
    return state.locked_until is not None and state.locked_until > now


def count_failure(state: Failures, now: datetime) -> bool:
    """One more failed sign-in; True when it locks the login (the counter starts over)."""
    if state.first_failed_at is None or now - state.first_failed_at > WINDOW:
        state.first_failed_at, state.failed_logins = now, 0
    state.failed_logins += 1
    if state.failed_logins < MAX_FAILURES:
        return False
    state.locked_until = now + LOCKOUT
    state.failed_logins, state.first_failed_at = 0, None
    return True


@dataclass
class _Entry:
    failed_logins: int = 0
    first_failed_at: datetime | None = None
    locked_until: datetime | None = None


class UnknownLogins:
    """Failed sign-ins of login names that name no enabled user, in this process. At most
    ``capacity`` names are remembered; the one used longest ago is forgotten first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def entry(self, login: str, now: datetime) -> Failures:
        """The login's counter (a fresh one when unknown or long quiet)."""
        key = hashlib.sha256(login.encode()).hexdigest()
        entry = self._entries.pop(key, None)
        if entry is None or _stale(entry, now):
            entry = _Entry()
        self._entries[key] = entry
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return entry


def _stale(entry: _Entry, now: datetime) -> bool:
    """Nothing left to remember: not locked and no failure within the window."""
    quiet = entry.first_failed_at is None or now - entry.first_failed_at > WINDOW
    return quiet and not is_locked(entry, now)
