"""What every panel, recording rule and alert must show after the scripted day: derived from the
day's appeals (what each means: met, missed, rated) and from the tickets, outbox messages and
connector health as stored — never from the metrics code. Each figure carries its tolerance:
``increase()`` extrapolates counts to the evaluation time (a few %), ratios and percentiles are
free of it (numerator and denominator scale alike), gauges are exact."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from app.metrics.catalog import DURATION_BUCKETS
from app.models.common import Channel, Source
from app.models.tickets import Ticket
from tests.support.day_scenario import DAY, FORGED, Appeal, Day

COUNT = {"rel": 0.05, "abs": 1e-9}  # extrapolated counts
EXACT = {"rel": 1e-6, "abs": 1e-9}  # ratios, quantiles, gauges
SOURCES = {
    "feedback_platform": "ПОС (Госуслуги)",
    "incident_management": "Инцидент Менеджмент",
    "chatbot": "Чат-бот",
    "open311": "Open311",
    "api": "Операторы и API",
}
CONNECTORS = {
    "feedback_platform": "ПОС: входящие",
    "feedback_platform.poll": "ПОС: опрос",
    "feedback_platform.answers": "ПОС: ответы",
    "incident_management": "ИМ: входящие",
    "incident_management.answers": "ИМ: ответы",
    "telegram": "Чат-бот: ответы",
    "department_webhook": "Вебхуки отделов",
    "sstu.upload": "ССТУ.РФ: выгрузка",
}
TARGETS = {
    "feedback_platform": "ПОС",
    "incident_management": "Инцидент Менеджмент",
    "telegram": "Чат-бот",
    "department_webhook": "Вебхуки отделов",
    "sstu": "ССТУ.РФ",
}
# «Время с последнего успеха коннектора» for a connector that never succeeded.
NEVER_FAILED, NEVER_USED = "никогда, только сбои", "не использовался"
STALE_AFTER = 3 * 3600.0  # AppealsConnectorStale: no success for 3 hours
RUNNING = ("new", "routed", "in_progress")
OPEN = ("new", "routed", "in_progress", "on_hold")


def approx(values: dict[str, float], tolerance: dict[str, float]) -> Any:
    return pytest.approx(values, **tolerance)


@dataclass
class Facts:
    """The day as stored: tickets by appeal, departments, outbox, connector health."""

    tickets: dict[str, Ticket]
    names: dict[str, str]  # every department's name by code
    active: list[str]
    outbox: Counter[tuple[str, str]]  # (target, state) -> messages
    oldest_unsent: datetime | None
    last_success: dict[str, datetime]
    last_failure: dict[str, datetime]

    def department(self, appeal: Appeal) -> str:
        return self.tickets[appeal.key].department_code


async def read_facts(day: Day) -> Facts:
    async with day.db.sessionmaker() as session:
        tickets = {}
        for appeal in DAY:
            ticket = await session.get(Ticket, day.tickets[appeal.key])
            assert ticket is not None
            tickets[appeal.key] = ticket

        async def rows(sql: str) -> list[Any]:
            return list((await session.exec(text(sql))).all())  # type: ignore[call-overload]

        departments = await rows("SELECT code, name, active FROM departments")
        outbox = await rows("SELECT target, state, created_at FROM outbox_messages")
        health = await rows(
            "SELECT connector, last_success_at, last_failure_at FROM connector_health"
        )
    unsent = [at for _, state, at in outbox if state in ("pending", "sending")]
    return Facts(
        tickets=tickets,
        names={code: name for code, name, _ in departments},
        active=sorted(code for code, _, active in departments if active),
        outbox=Counter((target, state) for target, state, _ in outbox),
        oldest_unsent=min(unsent) if unsent else None,
        last_success={c: ok for c, ok, _ in health if ok is not None},
        last_failure={c: failed for c, _, failed in health if failed is not None},
    )


def quantile(
    q: float, durations: Sequence[float], buckets: Sequence[float] = DURATION_BUCKETS
) -> float:
    """Prometheus' histogram_quantile over the catalog's buckets, observed ``durations``."""
    bounds = [*buckets, math.inf]
    counts = [sum(1 for d in durations if d <= b) for b in bounds]
    rank = q * counts[-1]
    i = next(i for i, c in enumerate(counts) if c >= rank)
    if i == len(bounds) - 1:
        return bounds[-2]
    lower, below = (0.0, 0.0) if i == 0 else (bounds[i - 1], counts[i - 1])
    return lower + (bounds[i] - lower) * (rank - below) / (counts[i] - below)


class Expected:
    """Every figure of the day, for the departments chosen in ``$department``."""

    def __init__(self, facts: Facts, departments: Iterable[str], at: datetime) -> None:
        self.f = facts
        self.chosen = set(departments)
        self.at = at
        self.appeals = [a for a in DAY if facts.department(a) in self.chosen]

    def _name(self, appeal: Appeal) -> str:
        return self.f.names[self.f.department(appeal)]

    def on_time_by_code(self) -> dict[str, float]:
        verdicts: dict[str, list[bool]] = {}
        for a in self.appeals:
            if a.resolution is not None:
                verdicts.setdefault(self.f.department(a), []).append(a.resolution == "met")
        return {code: sum(v) / len(v) for code, v in verdicts.items()}

    def on_time_by_department(self) -> dict[str, float]:
        return {self.f.names[code]: share for code, share in self.on_time_by_code().items()}

    def on_time(self) -> float | None:
        v = [a.resolution == "met" for a in self.appeals if a.resolution is not None]
        return sum(v) / len(v) if v else None

    def counted(self, pick: Any, label: str = "") -> dict[str, float]:
        """Per chosen department (its name, ``: label``), how many appeals ``pick`` holds for."""
        n = Counter(self._name(a) for a in self.appeals if pick(a))
        return {f"{name}{label}": float(k) for name, k in n.items()}

    def overdue(self, target: str) -> dict[str, float]:
        def late(a: Appeal) -> bool:
            t = self.f.tickets[a.key]
            if target == "resolution":
                return t.status in RUNNING and _before(t.resolution_due_at, self.at)
            if target == "first_response":
                due = t.first_response_due_at
                return (
                    t.status in RUNNING and t.first_responded_at is None and _before(due, self.at)
                )
            due = t.registration_due_at
            return t.status in OPEN and t.registered_at is None and _before(due, self.at)

        return self.counted(late, f": {LABELS[target]}")

    def open_by_code(self) -> dict[str, float]:
        counts = dict.fromkeys((d for d in self.f.active if d in self.chosen), 0.0)
        for a in self.appeals:
            if self.f.tickets[a.key].status in OPEN:
                counts[self.f.department(a)] += 1
        return counts

    def open_by_department(self) -> dict[str, float]:
        return {self.f.names[code]: n for code, n in self.open_by_code().items()}

    def open_with_status(self, status: str) -> float:
        return float(sum(1 for a in self.appeals if self.f.tickets[a.key].status == status))

    def ratings(self) -> list[tuple[Appeal, str]]:
        out = []
        for a in self.appeals:
            if a.rating is not None:
                out.append((a, _sentiment(a.rating)))
            if a.manual_rating is not None:
                out.append((a, _sentiment(a.manual_rating)))
        return out

    def rated(self, sentiment: str, label: str) -> dict[str, float]:
        n = Counter(self._name(a) for a, s in self.ratings() if s == sentiment)
        return {f"{name}: {label}": float(k) for name, k in n.items()}

    def positive_share_by_department(self) -> dict[str, float]:
        by: dict[str, list[bool]] = {}
        for a, s in self.ratings():
            by.setdefault(self._name(a), []).append(s == "positive")
        return {name: sum(v) / len(v) for name, v in by.items()}


def _before(due: datetime | None, at: datetime) -> bool:
    return due is not None and due < at


LABELS = {
    "resolution": "решение",
    "first_response": "первый ответ",
    "registration": "регистрация 59-ФЗ",
}


def _sentiment(rating: int | str) -> str:
    if isinstance(rating, int):
        return "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"
    return {"Автор доволен": "positive", "Автор нейтрален": "neutral"}.get(rating, "negative")


def durations(facts: Facts, kind: str, column: str) -> list[float]:
    out = []
    for a in DAY:
        t = facts.tickets[a.key]
        done = getattr(t, column)
        if a.kind == kind and done is not None:
            out.append((done - t.created_at).total_seconds())
    return out


def breaches(facts: Facts, department: str, target: str) -> float:
    """The day's misses of ``target`` in ``department`` (first response or resolution)."""
    verdict = {"resolution": "resolution", "first_response": "first_response"}.get(target)
    return float(
        sum(
            verdict is not None
            and getattr(a, verdict) == "missed"
            and facts.department(a) == department
            for a in DAY
        )
    )


def day_totals() -> dict[str, Any]:
    """Counts the day makes whatever the departments: arrivals, forged deliveries."""
    return {
        "received": Counter(a.source for a in DAY),
        "forged": FORGED,
        "answered": sum("final" in a.answers for a in DAY),
        # Answered and rated (by the source or an operator): each ticket once.
        "answered_rated": sum(
            "final" in a.answers and (a.rating is not None or a.manual_rating is not None)
            for a in DAY
        ),
    }


def since_success(facts: Facts, at: float) -> dict[str, float | str]:
    """«Время с последнего успеха коннектора»: every known connector, by its shown name."""
    out: dict[str, float | str] = {}
    for code, name in CONNECTORS.items():
        if code in facts.last_success:
            out[name] = at - facts.last_success[code].timestamp()
        else:
            out[name] = NEVER_FAILED if code in facts.last_failure else NEVER_USED
    return out


def stale_connectors(facts: Facts, at: float) -> dict[tuple[str], float]:
    """AppealsConnectorStale: failed since the last success, none for 3 hours — the time since
    it; 0 for a connector that never succeeded and failed."""
    out: dict[tuple[str], float] = {}
    for code, failed in facts.last_failure.items():
        ok = facts.last_success.get(code)
        if ok is None:
            out[(code,)] = 0.0
        elif failed > ok and at - ok.timestamp() > STALE_AFTER:
            out[(code,)] = at - ok.timestamp()
    return out


def rule_expectations(e: Expected, facts: Facts, at: float) -> dict[str, tuple]:
    """Rule name -> (the labels that tell its series apart, what each must be)."""
    totals = day_totals()
    active, names = facts.active, facts.names
    received = {(s.value, c.value): 0.0 for s in Source for c in Channel}
    received[("feedback_platform", "gosuslugi")] = totals["received"]["feedback_platform"] / 3600
    received[("incident_management", "vk")] = totals["received"]["incident_management"] / 3600
    missed = {d: sum(breaches(facts, d, t) for t in LABELS) for d in active}
    at_risk = Counter(facts.department(a) for a in DAY if a.resolution_risk is not None)
    return {
        "appeals:tickets_received:rate1h": (("source", "channel"), received),
        "appeals:sla_breaches:increase1h": (
            ("department", "target"),
            {(d, t): breaches(facts, d, t) for d in active for t in LABELS},
        ),
        "appeals:sla_at_risk:increase1h": (
            ("department",),
            {(d,): float(at_risk[d]) for d in active},
        ),
        "appeals:sla_on_time:ratio30d": (
            ("department",),
            {(d,): share for d, share in e.on_time_by_code().items()},
        ),
        "appeals:tickets_open:sum_by_department": (
            ("department",),
            {(d,): n for d, n in e.open_by_code().items()},
        ),
        "appeals:http_5xx:ratio_rate5m": ((), {(): 0.0}),
        "AppealsSlaBreaches": (
            ("department", "name"),
            {(d, names[d]): n for d, n in missed.items() if n},
        ),
        "AppealsSlaAtRiskSurge": (("department",), {}),
        "AppealsOutboxBacklog": (("target",), {}),
        "AppealsOutboxDeadLetters": (
            ("target",),
            {("incident_management",): float(facts.outbox[("incident_management", "dead")])},
        ),
        "AppealsConnectorStale": (("connector",), stale_connectors(facts, at)),
        "AppealsWebhookSignatureFailures": (
            ("source",),
            {("incident_management",): float(totals["forged"])},
        ),
        # The pipeline made every ticket of the day within seconds: nothing waits.
        "AppealsIntakeBacklog": (("source",), {}),
        # The suspected incident has waited 12 minutes (tests/support/day_incidents.py).
        "AppealsIncidentNotConfirmed": ((), {}),
        "AppealsHttp5xx": ((), {}),
        "AppealsMetricsScrapeDown": (("job",), {}),
    }
