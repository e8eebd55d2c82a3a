"""Small pure helpers the source mappings share: URLs, channels, dates, text."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from app.models.common import Channel

SOURCE_ID_MAX = 128

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
