"""Surge statistics (pure): is this many tickets of one problem family in one district, in the
last window, improbable under that cell's own history?

Method — a one-sided Poisson test per cell (problem family × district):

* **Baseline.** Tickets of the cell over the last ``history_days`` (28: four whole weeks, so
  every weekday weighs the same), before the current window, *not* counting tickets that were
  part of an incident (a past outage must not teach the test that outages are normal). The
  hourly rate is the larger of the all-day rate and the rate in the same clock hours of the
  day (city time) as the window: appeals come by day, so the all-day rate alone would call
  every busy afternoon a surge. Each rate gets one pseudo-ticket (``(n + 1) / hours``, the
  mean of a Gamma(1) prior), so a cell with no history expects a little, not nothing.
* **Test.** With ``mu = rate × window hours``, the p-value of ``k`` tickets is
  ``P(X ≥ k | Poisson(mu))``. A surge needs ``p ≤ alpha`` *and* ``k ≥ min_count``: alpha
  (1e-6) keeps false alarms rare although the test runs every 30 s over every cell (about
  50 cells × 2 880 passes a day); ``min_count`` (6) keeps a quiet cell (``mu`` ≈ 0.05) from
  alarming on a handful of tickets, which ``p`` alone would allow.
* **A young installation.** The history is what the hub actually holds: the days (city
  time) with any ticket in the 28, each 24 h of history — a city that started a day ago has
  one day of it, not 28 empty ones (which would make every ordinary afternoon a surge), and a
  fresh hub that took one back-dated appeal (a ПОС item written ten days ago) has two, not
  ten. While the hub holds fewer than ``min_history`` (7) such days, a cell's own rate is
  not trusted alone: the cell must also stand out against the same problem in the city's other
  districts in the same window (``contrast`` times their mean, at least ``contrast``) — a burst
  main in one district does, a busy morning everywhere does not — and it expects at least its
  even share of the rest of the city's traffic in the window (over problems × districts): a
  hub taking a hundred appeals a minute from its first minute is not surprised by five.
  Back-filling the sources' exports (``appeals import``) gives a new installation its history
  at once.
* **Resonance (info-risk).** A post that many people see weighs more: high priority (the IM
  importance «Высокая» is mapped to ``high`` by its connector), related posts (each +0.25, at
  most +2.5) and, when a sender gives them, reach or engagement (+0.5 per order of magnitude
  above 1 000, at most +1.5). The test uses the weighted count ``k_w = ceil(Σ weights)`` in
  place of ``k`` (a raw floor of ``min_raw`` tickets stays), so three loud posts can raise an
  incident that three quiet ones would not; the excess ``Σ (weight − 1)`` is the incident's
  info-risk score, flagged at ``info_risk_threshold``.

Measured behaviour on a simulated quiet month is in ``tests/unit/test_incident_detection.py``
and docs/INCIDENTS.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class SurgeRules:
    """The detection's parameters (defaults justified in the module docstring)."""

    window: timedelta = timedelta(minutes=60)
    history_days: int = 28
    alpha: float = 1e-6
    min_count: int = 6  # weighted tickets in the window
    min_raw: int = 3  # tickets in the window, whatever their weight
    # A new ticket joins an open incident up to this long after its last ticket.
    join_after: timedelta = timedelta(hours=12)
    info_risk_threshold: float = 3.0
    # Until a cell's history is this long, it must also stand out against the other districts.
    min_history: timedelta = timedelta(days=7)
    contrast: float = 4.0


DEFAULT_RULES = SurgeRules()


def poisson_tail(k: int, mu: float) -> float:
    """``P(X ≥ k)`` for ``X ~ Poisson(mu)``, accurate down to 1e-300 (summed from ``k`` up, not
    as ``1 − P(X < k)``, which loses everything below 1e-16)."""
    if k <= 0:
        return 1.0
    if mu <= 0.0:
        return 0.0
    if k <= mu:
        # The lower tail is the small side here: 1 − Σ_{i<k} is accurate enough.
        term = math.exp(-mu)
        total = term
        for i in range(1, k):
            term *= mu / i
            total += term
        return max(0.0, 1.0 - total)
    log_term = k * math.log(mu) - mu - math.lgamma(k + 1)
    term = math.exp(log_term)
    total = term
    i = k
    while term > total * 1e-17:
        i += 1
        term *= mu / i
        total += term
    return min(1.0, total)


@dataclass(frozen=True)
class Baseline:
    """A cell's history: tickets over ``hours`` in all, and ``same_hours`` of them in the
    ``same_span_hours`` of history that share the window's clock hours."""

    tickets: int
    hours: float
    same_hours: int = 0
    same_span_hours: float = 0.0
    mature: bool = True  # the history covers at least ``SurgeRules.min_history``

    def rate(self) -> float:
        """Expected tickets per hour (the busier of all day and the window's hours)."""
        overall = (self.tickets + 1) / max(self.hours, 1.0)
        if self.same_span_hours <= 0:
            return overall
        return max(overall, (self.same_hours + 1) / self.same_span_hours)

    def expected(self, window: timedelta) -> float:
        return self.rate() * window.total_seconds() / 3600.0


def resonance_weight(*, priority: str, extra: Mapping[str, Any]) -> float:
    """How much one ticket counts (1 for an ordinary one)."""
    weight = 1.0
    if priority in ("high", "critical"):
        weight += 1.0
    related = extra.get("related_posts")
    if isinstance(related, list) and related:
        weight += min(0.25 * len(related), 2.5)
    # Assumption: no sender gives reach today; a connector that does writes it as a number.
    reach = max((_number(extra.get(k)) for k in ("reach", "engagement")), default=0.0)
    if reach > 1000:
        weight += min(0.5 * math.log10(reach / 1000.0) + 0.5, 1.5)
    return weight


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


@dataclass(frozen=True)
class Verdict:
    count: int
    weighted: float
    expected: float
    p_value: float
    surge: bool
    info_risk_score: float
    info_risk: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "weighted": round(self.weighted, 3),
            "expected": round(self.expected, 4),
            "p_value": self.p_value,
            "info_risk_score": round(self.info_risk_score, 3),
        }


def judge(
    weights: Iterable[float],
    baseline: Baseline,
    rules: SurgeRules,
    *,
    elsewhere: float = 0.0,
    share: float = 0.0,
) -> Verdict:
    """The test for one cell: ``weights`` are the window's tickets' resonance weights;
    ``elsewhere`` the mean count of the same problem in the city's other districts in the same
    window, and ``share`` the cell's even share of the city's tickets in it (both what a young
    cell must stand out against)."""
    ws = list(weights)
    count = len(ws)
    weighted = sum(ws)
    k = max(count, math.ceil(weighted - 1e-9))
    mu = baseline.expected(rules.window)
    if not baseline.mature:
        mu = max(mu, share)
    p = poisson_tail(k, mu)
    score = weighted - count
    surge = count >= rules.min_raw and k >= rules.min_count and p <= rules.alpha
    if not baseline.mature:
        surge = surge and count >= rules.contrast * max(elsewhere, 1.0)
    return Verdict(count, weighted, mu, p, surge, score, score >= rules.info_risk_threshold)


def info_risk_score(weights: Iterable[float]) -> float:
    """The resonance above ordinary tickets (Σ (weight − 1))."""
    return sum(w - 1.0 for w in weights)
