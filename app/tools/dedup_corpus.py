"""Duplicate detection measured on the hand-labelled pair corpus (tests/fixtures/dedup_corpus.yaml).

Each entry is two reports — ``first`` and ``second``, ``minutes_apart`` — labelled a duplicate or
a hard negative. The second is checked against the first exactly as ``check_new_ticket`` does
(the same place key from the address field or the text, the same ``classify``); both are put in
one category, since the corpus is about place and wording, not about category mapping.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from app.dedup.score import TicketView, classify, duplicate_score
from app.directory.district_map import DistrictMap
from app.tools.dedup_eval import LinkScores

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "dedup_corpus.yaml"
_T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Side:
    source: str
    text: str
    address: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Pair:
    id: str
    duplicate: bool
    first: Side
    second: Side
    minutes_apart: float


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    action: str  # merge | suggest | none
    score: float | None
    keys: tuple[str | None, str | None]
    problem: str | None


@dataclass(frozen=True)
class PairReport(LinkScores):
    duplicates: int
    negatives: int
    merged: int
    merged_right: int
    flagged: int
    flagged_right: int

    def lines(self) -> list[str]:
        return [
            f"pairs {self.duplicates + self.negatives}: {self.duplicates} duplicates, "
            f"{self.negatives} hard negatives",
            f"auto-merge: precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"({self.merged_right}/{self.merged} right)",
            f"merge or suggest: precision {self.flagged_precision:.3f}, "
            f"recall {self.flagged_recall:.3f} ({self.flagged_right}/{self.flagged} right)",
        ]


def _side(data: dict[str, Any]) -> Side:
    return Side(
        source=str(data.get("source") or ""),
        text=str(data.get("text") or ""),
        address=data.get("address") or None,
        lat=data.get("lat"),
        lon=data.get("lon"),
    )


def load(path: Path = DEFAULT_CORPUS) -> list[Pair]:
    """The corpus's pairs, duplicates first, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        Pair(
            id=str(item["id"]),
            duplicate=label == "duplicates",
            first=_side(item["first"]),
            second=_side(item["second"]),
            minutes_apart=float(item.get("minutes_apart") or 0),
        )
        for label in ("duplicates", "negatives")
        for item in data.get(label) or []
    ]


def held_out(pair: Pair) -> bool:
    """One pair in three, fixed by its id (not by its content or its outcome)."""
    return zlib.crc32(pair.id.encode()) % 3 == 0


def split(pairs: Sequence[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(tuning two thirds, held-out third)."""
    return [p for p in pairs if not held_out(p)], [p for p in pairs if held_out(p)]


def _view(side: Side, n: int, at: datetime, places: DistrictMap) -> TicketView:
    key = places.place_key(side.address, "") if side.address else None
    if key is None:  # what check_new_ticket does for a ticket without an address key
        key = places.place_key(None, side.text)
    return TicketView(n, "same", side.text, at, side.lat, side.lon, key)


def judge(pair: Pair, places: DistrictMap, *, merge_at: float, suggest_at: float) -> Outcome:
    """What detection does with the second report when the first is open."""
    first = _view(pair.first, 1, _T0, places)
    second = _view(pair.second, 2, _T0 + timedelta(minutes=pair.minutes_apart), places)
    keys = (first.address_key, second.address_key)
    if second.address_key is None and not second.has_point:
        return Outcome(pair, "none", None, keys, None)  # check_new_ticket compares nothing
    score = duplicate_score(second, first)
    verdicts = classify(second, [first], merge_at=merge_at, suggest_at=suggest_at)
    action = verdicts[0].action if verdicts else "none"
    if score is None:
        return Outcome(pair, action, None, keys, None)
    return Outcome(pair, action, score.score, keys, score.problem)


def evaluate(
    pairs: Iterable[Pair], places: DistrictMap, *, merge_at: float, suggest_at: float
) -> tuple[PairReport, list[Outcome]]:
    """The figures, and every pair judged wrongly (a duplicate not merged, a negative linked)."""
    outcomes = [judge(p, places, merge_at=merge_at, suggest_at=suggest_at) for p in pairs]
    return _report(outcomes), _wrong(outcomes)


def _report(outcomes: Sequence[Outcome]) -> PairReport:
    dup = [o for o in outcomes if o.pair.duplicate]
    return PairReport(
        duplicates=len(dup),
        negatives=len(outcomes) - len(dup),
        merged=sum(o.action == "merge" for o in outcomes),
        merged_right=sum(o.action == "merge" for o in dup),
        flagged=sum(o.action != "none" for o in outcomes),
        flagged_right=sum(o.action != "none" for o in dup),
    )


def _wrong(outcomes: Sequence[Outcome]) -> list[Outcome]:
    dup = [o for o in outcomes if o.pair.duplicate]
    neg = [o for o in outcomes if not o.pair.duplicate]
    return [o for o in dup if o.action != "merge"] + [o for o in neg if o.action != "none"]


def meets_targets(report: PairReport) -> bool:
    """Issue 18: auto-merge precision ≥ 0.95 at recall ≥ 0.6; merge or suggest recall ≥ 0.9
    at precision ≥ 0.8."""
    return (
        report.precision >= 0.95
        and report.recall >= 0.6
        and report.flagged_recall >= 0.9
        and report.flagged_precision >= 0.8
    )


def tune(pairs: Sequence[Pair], places: DistrictMap) -> tuple[float, float]:
    """Thresholds on a 0.01 grid: first both precision targets, then the most recall (merges
    and suggestions), then precision, then the higher merge threshold."""
    scored = [judge(p, places, merge_at=0.0, suggest_at=0.0) for p in pairs]
    grid = [round(0.40 + 0.01 * i, 2) for i in range(46)]
    best: tuple[tuple[float, ...], float, float] | None = None
    for merge_at in grid:
        for suggest_at in (s for s in grid if s <= merge_at):
            r = _report([_at(o, merge_at, suggest_at) for o in scored])
            rank = (
                float(r.precision >= 0.95 and r.flagged_precision >= 0.8),
                r.recall + r.flagged_recall,
                r.precision + r.flagged_precision,
                merge_at,
                suggest_at,
            )
            if best is None or rank > best[0]:
                best = (rank, merge_at, suggest_at)
    assert best is not None
    return best[1], best[2]


def _at(scored: Outcome, merge_at: float, suggest_at: float) -> Outcome:
    """The outcome of a pair scored once, at other thresholds (what ``classify`` would do)."""
    s = scored.score
    if s is None or s < suggest_at:
        action = "none"
    elif scored.action == "merge" and s >= merge_at:
        action = "merge"
    else:
        action = "suggest"
    return Outcome(scored.pair, action, s, scored.keys, scored.problem)


def describe(outcome: Outcome) -> str:
    """One line for a pair judged wrongly."""
    p = outcome.pair
    label = "duplicate" if p.duplicate else "negative"
    score = f"{outcome.score:.2f}" if outcome.score is not None else "-"
    first, second = outcome.keys
    return (
        f"{p.id} {label}: {outcome.action} (score {score}, problem {outcome.problem or '-'}; "
        f"places {first!r} / {second!r})"
    )


def report_lines(
    pairs: Sequence[Pair], places: DistrictMap, *, merge_at: float, suggest_at: float
) -> list[str]:
    """What ``appeals routing dedup-eval`` prints: the figures at the given thresholds, the
    held-out third at thresholds tuned on the other two thirds, and every pair judged wrongly."""
    report, wrong = evaluate(pairs, places, merge_at=merge_at, suggest_at=suggest_at)
    tuning, rest = split(pairs)
    tuned_merge, tuned_suggest = tune(tuning, places)
    held, _ = evaluate(rest, places, merge_at=tuned_merge, suggest_at=tuned_suggest)
    return [
        f"thresholds: merge {merge_at:.2f}, suggest {suggest_at:.2f}",
        *report.lines(),
        f"held-out third, thresholds tuned on the other two thirds "
        f"(merge {tuned_merge:.2f}, suggest {tuned_suggest:.2f}):",
        *(f"  {line}" for line in held.lines()),
        f"misses ({len(wrong)}: duplicates not merged, negatives linked):",
        *(f"  {describe(o)}" for o in wrong),
    ]
