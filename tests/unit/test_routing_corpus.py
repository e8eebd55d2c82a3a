"""The example city's rules on the hand-written labelled corpus, by text alone (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.directory.city_config import read_city_config
from app.errors import ValidationFailed
from app.routing.evaluation import (
    DEFAULT_CITY,
    DEFAULT_CORPUS,
    LabelledText,
    TextRouter,
    config_rules,
    evaluate_corpus,
    read_corpus,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def router() -> TextRouter:
    return TextRouter.from_config(read_city_config(ROOT / DEFAULT_CITY))


def test_at_least_nine_in_ten_reach_the_right_department(router: TextRouter) -> None:
    corpus = read_corpus(ROOT / DEFAULT_CORPUS)
    assert len(corpus) >= 150
    report = evaluate_corpus(router, corpus)
    misses = [(o.number, o.item.department, o.decision.department_code) for o in report.misses()]
    assert report.accuracy >= 0.9, misses
    # Every department of the city is reached, and none is a dumping ground.
    for figures in report.departments():
        assert figures.recall >= 0.7, figures
        assert figures.precision >= 0.8, figures


def test_a_phone_call_without_category_goes_by_the_rules_or_to_triage(router: TextRouter) -> None:
    pothole = router.route("Яма на дороге возле школы")
    assert (pothole.department_code, pothole.method) == ("roads", "rule")
    assert "preferred to «Несортированные — школы и детские сады»" in pothole.reason
    unclear = router.route("Просто хочу сказать, что всё понятно")
    assert (unclear.department_code, unclear.method, unclear.is_triage) == ("press", "triage", True)


def test_config_rules_follow_positions_then_file_order_and_skip_disabled() -> None:
    config = read_city_config(ROOT / DEFAULT_CITY).model_copy(
        update={
            "routing_rules": [
                {"name": "b", "department": "roads", "keywords": ["яма"]},
                {"name": "a", "department": "zhkh", "keywords": ["яма"], "position": 5},
                {"name": "off", "department": "blago", "enabled": False, "position": 1},
                {"name": "c", "department": "blago", "keywords": ["яма"], "position": 20},
            ]
        }
    )
    assert [r.name for r in config_rules(config)] == ["a", "b", "c"]
    assert TextRouter.from_config(config).route("Яма").department_code == "zhkh"


def test_every_fifth_text_is_held_out(router: TextRouter) -> None:
    corpus = [LabelledText(text="Яма на дороге", department="roads")] * 10
    report = evaluate_corpus(router, corpus, hold_out_every=5)
    assert [o.number for o in report.outcomes if o.held_out] == [5, 10]
    assert (report.tally(held_out=True).total, report.tally(held_out=False).total) == (2, 8)
    assert str(report.tally()) == "1.000 (10/10)"


def test_a_label_the_city_has_no_department_for_is_refused(router: TextRouter) -> None:
    with pytest.raises(ValidationFailed, match="atlantis"):
        evaluate_corpus(router, [LabelledText(text="Яма", department="atlantis")])


def test_a_malformed_corpus_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "corpus.yaml"
    bad.write_text("- {text: Яма}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"corpus\.yaml"):
        read_corpus(bad)
