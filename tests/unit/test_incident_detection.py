"""The surge statistics (app.incidents.detection): the Poisson tail, the baseline, resonance,
and the false alarms of a simulated quiet month."""

from __future__ import annotations

import bisect
import math
import random
from datetime import timedelta

import pytest

from app.incidents.detection import (
    DEFAULT_RULES,
    Baseline,
    judge,
    poisson_tail,
    resonance_weight,
)
from app.reports.digest_incidents import area, street_names


def _direct_tail(k: int, mu: float) -> float:
    return 1.0 - sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k))


@pytest.mark.parametrize(("k", "mu"), [(0, 1.0), (1, 0.5), (3, 2.0), (5, 5.0), (8, 3.0), (12, 10)])
def test_poisson_tail_matches_the_direct_sum(k: int, mu: float) -> None:
    assert poisson_tail(k, mu) == pytest.approx(_direct_tail(k, mu), rel=1e-9, abs=1e-15)


def test_poisson_tail_stays_accurate_far_in_the_tail() -> None:
    # P(X >= 30 | 0.1) ~ 0.1^30 e^-0.1 / 30!: the complement would say 0.
    expected = math.exp(30 * math.log(0.1) - 0.1 - math.lgamma(31))
    assert poisson_tail(30, 0.1) == pytest.approx(expected, rel=1e-6)
    assert poisson_tail(30, 0.1) > 0.0


def test_baseline_takes_the_busier_of_all_day_and_the_same_hours() -> None:
    quiet_night = Baseline(tickets=27, hours=672, same_hours=0, same_span_hours=28)
    busy_day = Baseline(tickets=27, hours=672, same_hours=13, same_span_hours=28)
    assert quiet_night.rate() == pytest.approx(28 / 672)
    assert busy_day.rate() == pytest.approx(14 / 28)


def test_a_burst_over_a_quiet_cell_is_a_surge_and_ordinary_traffic_is_not() -> None:
    baseline = Baseline(tickets=80, hours=672, same_hours=10, same_span_hours=56)
    burst = judge([1.0] * 20, baseline, DEFAULT_RULES)
    assert burst.surge and burst.p_value < 1e-12
    usual = judge([1.0] * 2, baseline, DEFAULT_RULES)
    assert not usual.surge


def test_loud_posts_weigh_more_than_quiet_ones() -> None:
    loud = resonance_weight(priority="high", extra={"related_posts": ["a"] * 8})
    assert loud == pytest.approx(1 + 1 + 2.0)
    assert resonance_weight(priority="normal", extra={}) == 1.0
    assert resonance_weight(priority="normal", extra={"reach": 100_000}) == pytest.approx(2.5)
    baseline = Baseline(tickets=40, hours=672)
    assert not judge([1.0] * 3, baseline, DEFAULT_RULES).surge
    verdict = judge([loud] * 3, baseline, DEFAULT_RULES)
    assert verdict.surge and verdict.info_risk
    assert verdict.info_risk_score == pytest.approx(9.0)


def _weight(rng: random.Random) -> float:
    priority = "high" if rng.random() < 0.1 else "normal"
    related = ["x"] * rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 1, 2))
    return resonance_weight(priority=priority, extra={"related_posts": related})


def _profile(hour: int) -> float:
    """Appeals come by day: 2× the mean from 9 to 21 h, 0.3× at night (mean 1 over a day)."""
    return 1.55 if 9 <= hour < 21 else 0.45 if 6 <= hour < 9 or hour >= 21 else 0.3


def test_a_quiet_month_raises_few_false_alarms() -> None:
    """Fifty cells, hourly Poisson traffic from 0.02 to 2 tickets an hour with a daily
    profile, 10 % high-priority posts; detection every 30 minutes over the last 30 days of 58."""
    rng = random.Random(20)
    rules = DEFAULT_RULES
    days, history = 58, rules.history_days
    cells = [rng.choice((0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)) for _ in range(50)]
    alarms = episodes = evaluations = 0
    for mean_rate in cells:
        times: list[float] = []
        weights: list[float] = []
        for hour in range(days * 24):
            lam = mean_rate * _profile(hour % 24)
            n = _poisson(rng, lam)
            for _ in range(n):
                times.append(hour + rng.random())
                weights.append(_weight(rng))
        order = sorted(range(len(times)), key=times.__getitem__)
        times = [times[i] for i in order]
        weights = [weights[i] for i in order]
        hour_of = [int(t) % 24 for t in times]
        last_alarm = -1e9
        step = 0.5
        now = float(days - 30) * 24
        while now <= days * 24:
            evaluations += 1
            start = now - rules.window / timedelta(hours=1)
            lo, hi = bisect.bisect_right(times, start), bisect.bisect_right(times, now)
            hist_lo = bisect.bisect_left(times, start - history * 24)
            hours = {int(start) % 24, int(now - 1e-9) % 24}
            same = sum(1 for i in range(hist_lo, lo) if hour_of[i] in hours)
            baseline = Baseline(lo - hist_lo, history * 24.0, same, history * len(hours))
            verdict = judge(weights[lo:hi], baseline, rules)
            if verdict.surge:
                alarms += 1
                # An open incident takes the cell's next tickets: one alarm per 12 h episode.
                if now - last_alarm > rules.join_after / timedelta(hours=1):
                    episodes += 1
                last_alarm = now
            now += step
    print(
        f"\nquiet month: {evaluations} cell-windows tested, {alarms} alarms, "
        f"{episodes} false incidents over 30 days × 50 cells"
    )
    assert episodes <= 2


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def test_streets_are_shown_as_the_tickets_wrote_them_never_a_lemma_or_a_region() -> None:
    addresses = [
        "Приморский край, г. Спасск-Дальний, ул. Красногвардейская, д. 12",
        "ул. Советская, 14, кв. 3",
        "ул. 50 лет Октября 7",
    ]
    keys = ["красногвардейский", "советский", "50 лет октябрь", "приморский край", "мир"]
    assert street_names(keys, addresses) == [
        "ул. Красногвардейская",
        "ул. Советская",
        "ул. 50 лет Октября",
    ]
    assert area("Центральный", ["мир"], addresses) == "Центральный"
