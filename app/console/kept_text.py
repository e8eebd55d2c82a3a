"""Words typed into a form whose session had ended, kept through the sign-in.

A form posted after sign-out or the idle limit cannot be acted on: the browser goes to the
sign-in page. What was typed into its word fields (``lost_text.WORDS``: never a password, never
a choice) is kept here in the process's memory under a one-time random token carried in the
sign-in link, for ``TTL`` seconds: the sign-in page only says it was kept (the words may hold
a citizen's personal data, and whoever opens that page has not signed in yet), and after
signing in the page the form was sent from shows it read-only once and forgets it. It is never
logged nor stored in the database; a restart or another replica forgets it (the sign-in page
then just opens)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from app.console.lost_text import Lost

TTL = 15 * 60  # seconds
LIMIT = 1000  # entries at most; the oldest go first
TICKET_PAGE = re.compile(r"^(/console/tickets/\d+)/[a-z_]+$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Kept:
    lost: Lost
    back: str  # the page the form was on («/console» when not a ticket's)
    until: float


class KeptTexts:
    """Token → kept words, short-lived."""

    def __init__(self) -> None:
        self._kept: dict[str, Kept] = {}

    def keep(self, lost: Lost, posted_to: str) -> str:
        self._expire()
        while len(self._kept) >= LIMIT:
            self._kept.pop(next(iter(self._kept)))
        page = TICKET_PAGE.match(posted_to)
        token = secrets.token_urlsafe(24)
        self._kept[token] = Kept(
            lost, page.group(1) if page else "/console", time.monotonic() + TTL
        )
        return token

    def peek(self, token: str) -> Kept | None:
        self._expire()
        return self._kept.get(token) if TOKEN.match(token or "") else None

    def take(self, token: str) -> Kept | None:
        """The kept words, forgotten from now on."""
        kept = self.peek(token)
        if kept is not None:
            del self._kept[token]
        return kept

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, k in self._kept.items() if k.until <= now]:
            del self._kept[token]
