"""The simulators' outage scenario (app/tools/simulators/outage.py): what it plays."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest

from app.tools.simulators.content import Appeal, load_city
from app.tools.simulators.outage import (
    OutagePlan,
    OutageScenario,
    outage_addresses,
    outage_district,
)

CITY = load_city()


def _scenario(source: str, plan: OutagePlan, seed: int = 1) -> OutageScenario:
    def make(appeal: Appeal, now: datetime) -> tuple[dict[str, Any], str]:
        return {}, ""

    return OutageScenario(CITY, source, plan, random.Random(seed), make)


def test_the_outage_is_dozens_of_houses_on_several_streets_of_one_district() -> None:
    scenario = _scenario("feedback_platform", OutagePlan(size=30, background=20))
    timeline = scenario.timeline()
    outage = [a for _, label, a in timeline if label == "outage"]
    assert len(outage) == 30 and len(timeline) == 50
    assert {a.district.code for a in outage} == {"center"}  # the most streets by default
    assert len({a.street for a in outage}) == len(scenario.district.streets) >= 3
    assert len({(a.street, a.house) for a in outage}) == 30
    assert {(a.category_code, a.source_category) for a in outage} == {("water", "Водоснабжение")}
    # In time order, within the hour; a real outage's reports crowd its first half.
    times = [t for t, _, _ in timeline]
    assert times == sorted(times) and times[0] >= 0 and times[-1] <= 3600
    outage_times = [t for t, label, _ in timeline if label == "outage"]
    assert sum(t < 1800 for t in outage_times) > len(outage_times) / 2


def test_the_background_is_never_the_outage_problem_in_the_outage_district() -> None:
    for source in ("feedback_platform", "incident_management"):
        scenario = _scenario(source, OutagePlan(background=400), seed=7)
        background = [a for _, label, a in scenario.timeline() if label == "background"]
        assert len(background) == 400
        zhkh = {c for c, d in CITY.departments.items() if d == CITY.departments["water"]}
        assert not [
            a for a in background if a.category_code in zhkh and a.district.code == "center"
        ]
        # …but it is of every other kind: the same problem elsewhere, other problems here.
        assert [a for a in background if a.category_code in zhkh]
        assert [a for a in background if a.district.code == "center"]


def test_every_simulator_reports_the_same_houses() -> None:
    district = outage_district(CITY, "north")
    assert outage_addresses(district, 6) == [
        ("Парковая", 3), ("Садовая", 3), ("Нагорная", 3),
        ("Парковая", 7), ("Садовая", 7), ("Нагорная", 7),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="no district"):
        outage_district(CITY, "atlantis")
