"""Small pure helpers the source mappings share: URLs, channels, dates, text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from app.models.common import Channel

SOURCE_ID_MAX = 128
INT64_MAX = 2**63 - 1
# Dates a source item can sensibly carry: nothing before 2000 (a typo, or Excel's 1900 epoch),
# nothing more than a day ahead (time zones) — planned dates are allowed their own horizon.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
# A planned date (ПОС «Дата планируемого завершения работ», answerAt): up to a year ahead.
PLANNED_HORIZON = timedelta(days=366)

_NETWORKS = {
    "vk": Channel.vk,
    "vkontakte": Channel.vk,
    "ok": Channel.ok,
    "odnoklassniki": Channel.ok,
    "telegram": Channel.telegram,
    "tg": Channel.telegram,
    "web": Channel.web,
    "site": Channel.web,
}
_HOSTS = {
    "vk.com": Channel.vk,
    "vk.ru": Channel.vk,
    "m.vk.com": Channel.vk,
    "ok.ru": Channel.ok,
    "m.ok.ru": Channel.ok,
    "t.me": Channel.telegram,
    "telegram.me": Channel.telegram,
}


def channel_for(network: str | None, url: str | None = None) -> Channel:
    """The channel from a network name, else from the post URL's host; unknown → other."""
    if network and network.strip().lower() in _NETWORKS:
        return _NETWORKS[network.strip().lower()]
    if url:
        host = (urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
        host = host.removeprefix("www.")
        if host in _HOSTS:
            return _HOSTS[host]
    return Channel.other


# A post's address: an http(s) URL (or one without its scheme, as exports write it) with a host
# that has a dot and no spaces. «not a url» would become an item identity of its own.
POST_URL = re.compile(r"(?:https?://)?[^\s/?#:@]+\.[^\s/?#:@]+(?::\d{1,5})?(?:[/?#]\S*)?", re.I)


def is_post_url(value: str) -> bool:
    return POST_URL.fullmatch(value.strip()) is not None


def post_url_key(url: str) -> str:
    """A stable source id for a social post: the URL without scheme, ``www.``, query, ``/``.

    IM exports have no incident number, only «Урл блога», so the post URL is the identity that
    webhooks and imports share. Over-long URLs are hashed to fit the column.
    """
    raw = url.strip()
    parts = urlsplit(raw if "://" in raw else "https://" + raw)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = f"{host}{parts.path.rstrip('/')}"
    if parts.query and host not in _HOSTS:
        key += "?" + parts.query
    if len(key) > SOURCE_ID_MAX:
        key = "url-sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def aware(value: datetime, tz: ZoneInfo) -> datetime:
    """A timezone-aware UTC datetime; naive values are read in the city's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def parse_ru_date(value: object, tz: ZoneInfo) -> datetime | None:
    """``dd.mm.yyyy`` (optionally with ``HH:MM[:SS]``) or an Excel date cell → UTC; blank → None.

    Raises ``ValueError`` for anything else.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return aware(value, tz)
    if isinstance(value, date):
        return aware(datetime.combine(value, time()), tz)
    text = str(value).strip()
    for fmt in ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"):
        try:
            return aware(datetime.strptime(text, fmt), tz)
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a dd.mm.yyyy date")


def clean(value: object) -> str | None:
    """A stripped string, or None for blanks (and the exports' «-»)."""
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text != "-" else None


def yes(value: object) -> bool:
    """«Да» / «Нет» (and true/false) as a boolean."""
    return (clean(value) or "").lower() in {"да", "yes", "true", "1"}


def unstorable(value: str) -> str | None:
    """Why PostgreSQL could not store this text (NUL, unpaired surrogates); None if it can."""
    if "\x00" in value:
        return "holds a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "holds an unpaired surrogate"
    return None


def storable(value: Any) -> Any:
    """A validator for every field of a body: its strings (and lists of them) can be stored."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and (problem := unstorable(item)) is not None:
            raise ValueError(problem)
    return value


class RowErrors(list[dict[str, Any]]):
    """The errors of one export row, each naming its column."""

    def add(self, column: str, message: str, kind: str) -> None:
        self.append({"field": column, "message": message, "type": kind})

    def text(self, row: Mapping[str, object], column: str, max_length: int) -> str | None:
        """The cell's text (blank and «-» are None), or None with an error when too long."""
        value = clean(row.get(column))
        if value is None:
            return None
        if len(value) > max_length:
            self.add(column, f"longer than {max_length} characters ({len(value)})", "too_long")
            return None
        if (problem := unstorable(value)) is not None:
            self.add(column, problem, "encoding")
            return None
        return value

    def date(
        self,
        row: Mapping[str, object],
        column: str,
        *,
        tz: ZoneInfo,
        now: datetime,
        required: bool = False,
        horizon: timedelta = FUTURE_SLACK,
    ) -> datetime | None:
        """The cell's date (UTC) within [2000, now + horizon], or None with an error."""
        try:
            value = parse_ru_date(row.get(column), tz)
        except ValueError as exc:
            self.add(column, str(exc)[:200], "date")
            return None
        if value is None:
            if required:
                self.add(column, "required", "missing")
            return None
        if (problem := out_of_window(value, now=now, horizon=horizon)) is not None:
            self.add(column, problem, "date_range")
            return None
        return value


def out_of_window(
    value: datetime, *, now: datetime, horizon: timedelta = FUTURE_SLACK
) -> str | None:
    """Why a source's date cannot be right (before 2000, or later than now + horizon), else
    None. The same window for Excel rows and webhook bodies."""
    if value < EARLIEST:
        return "before 01.01.2000"
    if value > now + horizon:
        limit = "more than a day" if horizon == FUTURE_SLACK else "too far"
        return f"{limit} in the future"
    return None


def date_window_errors(
    dates: Mapping[str, datetime | None],
    *,
    now: datetime,
    horizon: Mapping[str, timedelta] | None = None,
) -> list[dict[str, Any]]:
    """The errors of a body's dates (field → value) outside the window, each naming its field."""
    errors = []
    for field, value in dates.items():
        if value is None:
            continue
        limit = (horizon or {}).get(field, FUTURE_SLACK)
        if (problem := out_of_window(value, now=now, horizon=limit)) is not None:
            errors.append({"field": field, "message": problem, "type": "date_range"})
    return errors
