"""How alike two tickets are: place, then text (pure; the database only fetches candidates)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.dedup.place import has_house, is_crossroads, street_of
from app.dedup.problem import agree, problem_of
from app.routing.ru_text import similarity

# A duplicate is the same problem at the same place reported again while it is still open.
WINDOW = timedelta(days=14)
REPEAT_WINDOW = timedelta(days=90)
NEAR_METRES = 60.0  # the same spot, given GPS noise and "у дома 5" vs "у дома 7"
FAR_METRES = 250.0  # beyond this two points are different places
STREET = 0.5  # place score of one street (or park) without one spot named on both sides
PLACE_WEIGHT = 0.5
# Two texts that name one problem the concept map knows («яма» = «выбоина») score at least
# this for text, whatever their words; two that name different problems score 0.
SAME_PROBLEM = 0.6


@dataclass(frozen=True)
class TicketView:
    """What duplicate detection compares."""

    id: int | None
    category: str
    text: str
    created_at: datetime
    lat: float | None = None
    lon: float | None = None
    address_key: str | None = None
    # A 59-ФЗ appeal: its registration and legal term are owed to it alone, so it is never
    # merged automatically, nor is anything merged into it (a person decides from a suggestion).
    legal: bool = False

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Score:
    score: float
    place: float
    text: float
    how: str  # point | address | street
    distance_m: float | None = None
    problem: str = "unknown"  # same | different | unknown (by the concept map)

    def reasons(self) -> dict[str, object]:
        data: dict[str, object] = {
            "score": round(self.score, 3),
            "place": round(self.place, 3),
            "text": round(self.text, 3),
            "place_by": self.how,
            "problem": self.problem,
        }
        if self.distance_m is not None:
            data["distance_m"] = round(self.distance_m, 1)
        return data


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def bounding_box(lat: float, lon: float, metres: float = FAR_METRES) -> tuple[float, ...]:
    """(lat_min, lat_max, lon_min, lon_max) around a point, for an index range scan."""
    dlat = metres / 111_320.0
    dlon = metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _precise(key: str | None) -> bool:
    """A key that names one spot: a house or a crossroads (not a whole street)."""
    return has_house(key) or is_crossroads(key)


def place_score(a: TicketView, b: TicketView) -> tuple[float, str, float | None] | None:
    """1.0 at the same spot, less further away; None when the two are not at one place.

    The house the citizen names wins over a geotag (a phone's fix drifts tens of metres; the
    house number does not); two different houses named are a weak match even if close."""
    metres = None
    if a.has_point and b.has_point:
        assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
        metres = distance_m(a.lat, a.lon, b.lat, b.lon)
    both_houses = _precise(a.address_key) and _precise(b.address_key)
    if both_houses and a.address_key == b.address_key:
        return 1.0, "address", metres
    if metres is not None:
        if metres > FAR_METRES:
            return None
        value = (
            1.0
            if metres <= NEAR_METRES
            else 1.0 - 0.7 * (metres - NEAR_METRES) / (FAR_METRES - NEAR_METRES)
        )
        return (value * 0.6 if both_houses else value), "point", metres
    street_a, street_b = street_of(a.address_key), street_of(b.address_key)
    if street_a and street_a == street_b and not both_houses:
        return STREET, "street", None  # one street; a house on it at most on one side
    return None


def text_score(a: str, b: str, place_words: frozenset[str] = frozenset()) -> tuple[float, str]:
    """How alike two texts are about the problem (0..1), and whether the concept map finds the
    same problem in both, different ones, or cannot tell."""
    pa, pb = problem_of(a, place_words), problem_of(b, place_words)
    overlap = similarity(pa.lemmas, pb.lemmas)
    same = agree(pa.concepts, pb.concepts)
    if same is None:
        return overlap, "unknown"
    if not same:
        return 0.0, "different"
    return SAME_PROBLEM + (1 - SAME_PROBLEM) * overlap, "same"


def duplicate_score(new: TicketView, old: TicketView) -> Score | None:
    """The pair's score in 0..1, or None when they cannot be duplicates (category, place, time)."""
    if new.category != old.category or abs(new.created_at - old.created_at) > WINDOW:
        return None
    place = place_score(new, old)
    if place is None:
        return None
    value, how, metres = place
    # The place is scored above; the text score is about the problem, so street names and
    # numbers (which every report at one place shares) are left out of it.
    place_words = frozenset((new.address_key or "").split()) | frozenset(
        (old.address_key or "").split()
    )
    text, problem = text_score(new.text, old.text, place_words)
    total = PLACE_WEIGHT * value + (1 - PLACE_WEIGHT) * text
    return Score(total, value, text, how, metres, problem)


def same_place(a: TicketView, b: TicketView, *, metres: float = 100.0) -> bool:
    """Whether two tickets are about one place (for repeat problems)."""
    if a.has_point and b.has_point:
        assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
        return distance_m(a.lat, a.lon, b.lat, b.lon) <= metres
    return bool(a.address_key) and a.address_key == b.address_key


@dataclass(frozen=True)
class Verdict:
    candidate_id: int
    score: Score
    action: str  # merge | suggest


def classify(
    new: TicketView,
    candidates: list[TicketView],
    *,
    merge_at: float,
    suggest_at: float,
    max_suggestions: int = 3,
    score: Callable[[TicketView, TicketView], Score | None] = duplicate_score,
) -> list[Verdict]:
    """The best candidate as ``merge`` when it clears ``merge_at``; others above ``suggest_at``
    as suggestions, best first. ``score``: ``duplicate_score``, or the caller's memo of it."""
    scored = []
    for old in candidates:
        if old.id is None or old.id == new.id:
            continue
        s = score(new, old)
        if s is not None and s.score >= suggest_at:
            scored.append((s.score, -old.id, old.id, s, new.legal or old.legal))
    scored.sort(reverse=True)
    verdicts: list[Verdict] = []
    for i, (_, _, cid, s, legal) in enumerate(scored):
        # A whole street (or park) is not one spot: a person decides, however alike the texts;
        # and so for a 59-ФЗ appeal on either side.
        clear = s.score >= merge_at and s.how != "street" and not legal
        action = "merge" if i == 0 and clear else "suggest"
        if action == "suggest" and sum(v.action == "suggest" for v in verdicts) >= max_suggestions:
            break
        verdicts.append(Verdict(cid, s, action))
    return verdicts
