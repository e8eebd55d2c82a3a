"""Measuring duplicate detection on a labelled corpus: precision and recall of the links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.dedup.score import TicketView, classify
from app.directory.district_map import DistrictMap
from app.tools.simulators.routing_corpus import CorpusTicket


class LinkScores:
    """Precision and recall of automatic merges and of merges plus suggestions."""

    duplicates: int
    merged: int
    merged_right: int
    flagged: int
    flagged_right: int

    @property
    def precision(self) -> float:
        return self.merged_right / self.merged if self.merged else 1.0

    @property
    def recall(self) -> float:
        return self.merged_right / self.duplicates if self.duplicates else 1.0

    @property
    def flagged_precision(self) -> float:
        return self.flagged_right / self.flagged if self.flagged else 1.0

    @property
    def flagged_recall(self) -> float:
        return self.flagged_right / self.duplicates if self.duplicates else 1.0


@dataclass(frozen=True)
class DedupReport(LinkScores):
    tickets: int
    duplicates: int  # tickets that arrived while an earlier report of their incident existed
    merged: int
    merged_right: int
    flagged: int  # merged or suggested
    flagged_right: int

    def lines(self) -> list[str]:
        return [
            f"tickets {self.tickets}, true duplicates {self.duplicates}",
            f"auto-merge: precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"({self.merged_right}/{self.merged} right)",
            f"merge or suggest: precision {self.flagged_precision:.3f}, "
            f"recall {self.flagged_recall:.3f}",
        ]


def score_links(
    corpus: Sequence[CorpusTicket],
    merges: dict[str, str],
    suggestions: dict[str, list[str]],
) -> DedupReport:
    """Compare predicted links (ticket key → main key) with the corpus's incidents."""
    incident = {t.key: t.incident for t in corpus}
    seen: set[int] = set()
    duplicates = 0
    for t in corpus:
        if t.incident in seen:
            duplicates += 1
        seen.add(t.incident)
    merged_right = sum(incident[a] == incident[b] for a, b in merges.items())
    flagged = set(merges) | {k for k, v in suggestions.items() if v}
    flagged_right = sum(
        (k in merges and incident[merges[k]] == incident[k])
        or any(incident[c] == incident[k] for c in suggestions.get(k, []))
        for k in flagged
    )
    return DedupReport(
        tickets=len(corpus),
        duplicates=duplicates,
        merged=len(merges),
        merged_right=merged_right,
        flagged=len(flagged),
        flagged_right=flagged_right,
    )


def simulate(
    corpus: Iterable[CorpusTicket], places: DistrictMap, *, merge_at: float, suggest_at: float
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Run the detector over the corpus in arrival order, in memory (what creation does)."""
    open_by_category: dict[str, list[tuple[TicketView, str]]] = defaultdict(list)
    merges: dict[str, str] = {}
    suggestions: dict[str, list[str]] = {}
    for n, t in enumerate(corpus):
        has_place = t.address is not None or t.lat is not None  # as check_new_ticket does
        view = TicketView(
            id=n + 1,
            category=t.category,
            text=t.text,
            created_at=t.created_at,
            lat=t.lat,
            lon=t.lon,
            address_key=places.place_key(t.address, t.text) if has_place else None,
        )
        pool = open_by_category[t.category]
        keys = {v.id: k for v, k in pool}
        verdicts = classify(view, [v for v, _ in pool], merge_at=merge_at, suggest_at=suggest_at)
        merged = False
        for verdict in verdicts:
            if verdict.action == "merge":
                merges[t.key] = keys[verdict.candidate_id]
                merged = True
            else:
                suggestions.setdefault(t.key, []).append(keys[verdict.candidate_id])
        if not merged:
            pool.append((view, t.key))
    return merges, suggestions
