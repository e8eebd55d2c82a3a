"""Duplicate scoring and the labelled corpus, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.config import get_settings
from app.dedup.score import TicketView, classify, duplicate_score, same_place
from app.tools.dedup_eval import score_links, simulate
from app.tools.simulators.routing_corpus import example_district_map, generate

T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def view(n: int, text: str, **kw: object) -> TicketView:
    base: dict[str, object] = {"category": "roads", "created_at": T0, "address_key": "ленин 5"}
    base.update(kw)
    return TicketView(id=n, text=text, **base)  # type: ignore[arg-type]


def test_same_problem_same_house_scores_high() -> None:
    a = view(1, "Огромная яма на дороге у дома 5 по улице Ленина")
    b = view(2, "Прошу заделать яму на дороге по ул. Ленина напротив дома 5")
    score = duplicate_score(b, a)
    assert score is not None and score.score >= 0.75 and score.how == "address"


def test_other_category_other_house_or_old_ticket_is_never_a_candidate() -> None:
    a = view(1, "Яма на дороге")
    assert duplicate_score(view(2, "Яма на дороге", category="snow"), a) is None
    assert duplicate_score(view(2, "Яма на дороге", address_key="ленин 7"), a) is None
    old = view(2, "Яма на дороге", created_at=T0 + timedelta(days=30))
    assert duplicate_score(old, a) is None


def test_points_compare_by_distance() -> None:
    a = view(1, "Яма на дороге", address_key=None, lat=44.6, lon=132.81)
    near = view(2, "Яма на дороге", address_key=None, lat=44.6002, lon=132.81)  # ~22 m
    far = view(3, "Яма на дороге", address_key=None, lat=44.61, lon=132.81)  # ~1.1 km
    assert duplicate_score(near, a).place == 1.0  # type: ignore[union-attr]
    assert duplicate_score(far, a) is None
    assert same_place(near, a) and not same_place(far, a)


def test_classify_merges_the_best_and_suggests_the_rest() -> None:
    new = view(9, "Яма на дороге у дома 5, колесо пробил")
    same = view(1, "Яма на дороге у дома 5, колесо пробил")
    similar = view(2, "Светофор не работает, яма рядом")
    verdicts = classify(new, [similar, same], merge_at=0.8, suggest_at=0.6)
    assert [(v.candidate_id, v.action) for v in verdicts] == [(1, "merge"), (2, "suggest")]


def test_corpus_precision_at_least_090_at_recall_070() -> None:
    """Must show 2: the generated labelled corpus, the configured thresholds."""
    settings = get_settings()
    corpus = generate(incidents=300, seed=11)
    merges, suggestions = simulate(
        corpus,
        example_district_map(),
        merge_at=settings.dedup_merge_threshold,
        suggest_at=settings.dedup_suggest_threshold,
    )
    report = score_links(corpus, merges, suggestions)
    assert report.duplicates > 150
    assert report.precision >= 0.9, report.lines()
    assert report.recall >= 0.7, report.lines()


def test_corpus_has_known_duplicates_across_channels() -> None:
    corpus = generate(incidents=50, seed=3)
    by_incident: dict[int, set[str]] = {}
    for t in corpus:
        by_incident.setdefault(t.incident, set()).add(t.channel)
    assert any(len(channels) >= 2 for channels in by_incident.values())
    assert corpus == generate(incidents=50, seed=3)  # deterministic
