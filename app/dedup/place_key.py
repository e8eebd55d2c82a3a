"""The place key of a ticket: from its address field, else from its text (pure).

Best evidence first: a house or a crossroads, then a numbered landmark («школа № 2»), then a
street alone (the name another report most likely repeats), then a landmark («рынок», «парк»).
Keys: ``ленин 5``, ``ленин / советский``, ``школа 2``, ``ленин``, ``парк``.
"""

from __future__ import annotations

from functools import lru_cache

from app.dedup.landmark import landmark
from app.dedup.place import Place, street_address, tokens
from app.dedup.place_text import sentences, street_in_text


def _best(spot: Place | None, street: Place | None, mark: Place | None) -> Place | None:
    if spot is not None:
        return spot
    if mark is not None and mark.house:
        return mark  # «школа № 2» says more than the street it stands on
    return street or mark


def parse_address(address: str | None) -> Place | None:
    """The place an address field names, or None when it names none."""
    if not address or not address.strip():
        return None
    toks = tokens(address)
    mark, used = landmark(toks)
    place = street_address([t for i, t in enumerate(toks) if i not in used])
    precise = place is not None and (place.house is not None or len(place.streets) > 1)
    return _best(place if precise else None, None if precise else place, mark)


@lru_cache(maxsize=8192)
def address_key(address: str | None) -> str | None:
    """The place key of an address field: «ул. Ленина, д. 5» → ``ленин 5`` (remembered per
    address: a storm brings the same houses again and again)."""
    place = parse_address(address)
    return place.key if place else None


def place_in_text(text: str, streets: dict[tuple[str, ...], str] | None = None) -> Place | None:
    """The place a free text names, or None."""
    if not text:
        return None
    toks = tokens(text)
    mark, used = landmark(toks)
    spot, street = street_in_text(
        sentences([t for i, t in enumerate(toks) if i not in used]), streets or {}
    )
    return _best(spot, street, mark)


def key_in_text(text: str, streets: dict[tuple[str, ...], str] | None = None) -> str | None:
    """The place key of a free text: «яма у дома 5 на улице Ленина» → ``ленин 5``."""
    place = place_in_text(text, streets)
    return place.key if place else None
