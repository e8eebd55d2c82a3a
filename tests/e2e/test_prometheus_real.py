"""A real Prometheus, started before anything happens, scrapes a real api through a scripted day;
then every panel query of the committed dashboard and every recording and alert rule runs as
written, and each answer equals the figure the day itself gives (tests/support/day_*.py). The
on-time panels equal /api/v1/reports/sla for the same periods."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.builders import auth, make_key
from tests.support.day_expected import (
    CONNECTORS,
    COUNT,
    EXACT,
    LABELS,
    SOURCES,
    TARGETS,
    Expected,
    Facts,
    approx,
    breaches,
    day_totals,
    durations,
    quantile,
    read_facts,
    rule_expectations,
    since_success,
)
from tests.support.day_incidents import incident_panels, open_incidents
from tests.support.day_intake import Finished, intake_panels, read_finished
from tests.support.day_scenario import Day
from tests.support.prometheus import (
    Target,
    dashboard_targets,
    grafana,
    query,
    rules,
    scalar,
    shown,
    start_prometheus,
    wait_until,
)
from tests.support.webhooks import start_webhook_api

STATUSES = {"new": "Новые (разбор)", "routed": "Переданы в отдел", "in_progress": "В работе"}
STATUSES["on_hold"] = "Приостановлены"
SENTIMENTS = {"A": ("positive", "положительные"), "B": ("neutral", "нейтральные")}
SENTIMENTS["C"] = ("negative", "отрицательные")
QUANTILES = {"медиана": 0.5, "90-й процентиль": 0.9}
UNSENT = (
    ("pending", "ждут отправки"),
    ("sending", "отправляются"),
    ("dead", "доставка прекращена"),
)
PERCENTILE_PANELS = {
    "ИМ: первый ответ, часы": ("social_post", "first_responded_at", 3600),
    "ИМ: окончательный ответ, дни": ("social_post", "answered_at", 86400),
    "ПОС: ответ на сообщение, дни": ("pos_message", "answered_at", 86400),
    "59-ФЗ: ответ на обращение, дни": ("fz59_appeal", "answered_at", 86400),
}


def month_bounds(now: datetime) -> tuple[ZoneInfo, datetime, datetime]:
    """A dashboard time zone in which the whole day lies in the current month, its start and
    the previous month's start (the day's appeals go back ten hours)."""
    for zone in (ZoneInfo("UTC"), ZoneInfo("Etc/GMT+12")):
        start = now.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if now - start >= timedelta(hours=12):
            previous = (start - timedelta(days=1)).replace(day=1)
            return zone, start, previous
    raise AssertionError("unreachable: UTC-12 is a day behind at the start of a UTC month")


def panel_time(target: Target, at: float, month: tuple[Any, datetime, datetime]) -> tuple:
    """(evaluation time, $__range) as Grafana has them for this panel's time override."""
    _, start, previous = month
    if target.time_from is None:
        return at, None
    assert target.time_from == "now/M", target
    if target.time_shift is None:
        return at, at - start.timestamp()
    assert target.time_shift == "1M/M", target
    return start.timestamp(), (start - previous).total_seconds()


def panel_expectations(
    e: Expected, facts: Facts, at: float, age_scraped: float, finished: list[Finished]
) -> dict[tuple[str, str], Any]:
    """(panel title, query ref) -> what the panel must show, by shown name. ``age_scraped``:
    when the outbox ages shown at ``at`` were scraped (the api counts them at its own now);
    ``finished``: the deliveries the intake pipeline finished."""
    on_time = e.on_time()
    city = approx({"в срок": on_time} if on_time is not None else {}, EXACT)
    totals = day_totals()
    retried = facts.outbox[("feedback_platform", "pending")]
    dead = facts.outbox[("incident_management", "dead")]
    out: dict[tuple[str, str], Any] = {
        ("В срок за 30 дней, по отделам", "A"): approx(e.on_time_by_department(), EXACT),
        ("В срок в этом месяце", "A"): city,
        ("В срок в прошлом месяце", "A"): {},
        ("В срок за 30 дней", "A"): city,
        ("Достигли 75 % срока за 24 часа", "A"): approx(
            {"обращений": float(sum(a.resolution_risk is not None for a in e.appeals))}, COUNT
        ),
        ("Открытые обращения по отделам", "A"): approx(e.open_by_department(), EXACT),
        ("Положительные отзывы за 30 дней", "A"): approx(
            {"доля": sum(s == "positive" for _, s in e.ratings()) / len(e.ratings())}
            if e.ratings()
            else {},
            EXACT,
        ),
        ("Доля положительных отзывов по отделам, 7 дней", "A"): approx(
            e.positive_share_by_department(), EXACT
        ),
        # Answered tickets nobody rated; ratings of unanswered tickets do not count.
        ("Ответы без отзыва за 30 дней (весь город)", "A"): approx(
            {"доля": 1 - totals["answered_rated"] / totals["answered"]}, EXACT
        ),
        ("Новые обращения в час по источникам", "A"): approx(
            {name: float(totals["received"][code]) for code, name in SOURCES.items()}, COUNT
        ),
        ("Вебхуки с неверной подписью в час", "A"): approx(
            {SOURCES["feedback_platform"]: 0.0, SOURCES["incident_management"]: 4.0}, COUNT
        ),
        ("Сбои коннекторов в час", "A"): approx(
            {
                **dict.fromkeys(CONNECTORS.values(), 0.0),
                CONNECTORS["incident_management"]: float(totals["forged"]),
                CONNECTORS["feedback_platform.poll"]: 1.0,
                CONNECTORS["feedback_platform.answers"]: float(retried),
                CONNECTORS["incident_management.answers"]: float(dead),
            },
            COUNT,
        ),
        ("Время с последнего успеха коннектора", "A"): {
            name: value if isinstance(value, str) else pytest.approx(value, **EXACT)
            for name, value in since_success(facts, at).items()
        },
        ("Повторные попытки доставки в час", "A"): approx(
            {**dict.fromkeys(TARGETS.values(), 0.0), TARGETS["feedback_platform"]: retried}, COUNT
        ),
        ("Отказы доставки в час", "A"): approx(
            {**dict.fromkeys(TARGETS.values(), 0.0), TARGETS["incident_management"]: dead}, COUNT
        ),
        ("API: доля ответов 5xx", "A"): {"доля 5xx": 0.0},
        ("Старейшее неотправленное сообщение", "A"): pytest.approx(
            {"старейшее": age_scraped - facts.oldest_unsent.timestamp()}
            if facts.oldest_unsent
            else {},
            abs=1.5,
        ),
    }
    for ref, target in zip("ABC", LABELS, strict=True):
        out[("Просрочено сейчас, по отделам", ref)] = approx(e.overdue(target), EXACT)
        missed = {
            f"{facts.names[d]}: {LABELS[target]}": n
            for d in sorted(e.chosen)
            if (n := breaches(facts, d, target))
        }
        out[("Нарушения сроков по часам", ref)] = approx(missed, COUNT)
    for ref, status in zip("ABCD", STATUSES, strict=True):
        out[("Открытые обращения по статусам", ref)] = {
            STATUSES[status]: e.open_with_status(status)
        }
    for ref, (sentiment, label) in SENTIMENTS.items():
        out[("Отзывы за 30 дней по отделам", ref)] = approx(e.rated(sentiment, label), COUNT)
    for ref, (state, label) in zip("ABC", UNSENT, strict=True):
        n = sum(v for (_, s), v in facts.outbox.items() if s == state)
        out[("Очередь исходящих сообщений", ref)] = {label: float(n)}
    for title, (kind, column, scale) in PERCENTILE_PANELS.items():
        seen = durations(facts, kind, column)
        for ref, (label, q) in zip("AB", QUANTILES.items(), strict=True):
            out[(title, ref)] = approx({label: quantile(q, seen) / scale}, EXACT)
    out.update(intake_panels(finished))
    return out


async def settle(prom: str, since: float) -> float:
    """Wait for a business scrape after ``since`` and the rules' evaluation after it; returns
    that evaluation's time (every figure is read there)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scraped = await asyncio.to_thread(scalar, prom, "max(timestamp(appeals_department_info))")
        evaluated = await asyncio.to_thread(
            scalar, prom, "max(timestamp(appeals:tickets_open:sum_by_department))"
        )
        if scraped and evaluated and scraped > since and evaluated > scraped:
            return evaluated
        await asyncio.sleep(0.3)
    raise TimeoutError("Prometheus did not scrape and evaluate the end of the day")


Shown = dict[tuple[str, str], dict[str, float | str]]


async def check_dashboard(
    prom: str, e: Expected, facts: Facts, at: float, month: Any, finished: list[Finished], db: Any
) -> Shown:
    """Every query of the dashboard against its expected figure; returns what each showed."""
    ages = 'appeals_outbox_oldest_pending_age_seconds{state=~"pending|sending"}'
    age_scraped = await asyncio.to_thread(scalar, prom, f"max(timestamp({ages}))", at)
    expected = panel_expectations(e, facts, at, age_scraped or at, finished)
    suspected_age = "appeals_incident_oldest_suspected_age_seconds"
    incident_scraped = await asyncio.to_thread(scalar, prom, f"max(timestamp({suspected_age}))", at)
    expected.update(await incident_panels(db, incident_scraped or at))
    # Grafana sends ".*" for "All", the code for one department.
    department = ".*" if set(facts.active) <= e.chosen else "|".join(sorted(e.chosen))
    seen: Shown = {}
    for target in dashboard_targets():
        key = (target.panel, target.ref)
        when, range_s = panel_time(target, at, month)
        expr = grafana(target.expr, department=department, range_seconds=range_s)
        got = shown(await asyncio.to_thread(query, prom, expr, when), target)
        if target.panel == "API: время ответа, 95-й процентиль":
            # Request durations are the machine's, not the day's: a figure, bounded.
            assert list(got) == ["p95"] and 0 < got["p95"] <= 10, got
        else:
            assert key in expected, f"no expected figure for panel {key}"
            assert got == expected[key], f"{key} with $department={department}"
        seen[key] = got
    assert set(seen) >= set(expected), set(expected) - set(seen)
    return seen


def by_labels(result: list[dict[str, Any]], *names: str) -> dict[tuple[str, ...], float]:
    return {tuple(s["metric"].get(n, "") for n in names): float(s["value"][1]) for s in result}


async def check_rules(prom: str, e: Expected, facts: Facts, at: float) -> None:
    """Every recording rule's and every alert's expression, at the end of the day."""
    checks = rule_expectations(e, facts, at)
    for rule in rules():
        name = rule.get("record") or rule["alert"]
        result = await asyncio.to_thread(query, prom, rule["expr"], at)
        if name == "appeals:http_requests:rate5m":
            # Request rates depend on timing: the day's answers and forged deliveries are there.
            pairs = set(by_labels(result, "route", "status"))
            assert ("/api/v1/tickets/{ticket_id}/answers", "201") in pairs, pairs
            assert any(status == "401" for _, status in pairs), pairs
            continue
        labels, want = checks.pop(name)
        exact = "ratio" in name or name in ("AppealsConnectorStale", "AppealsOutboxDeadLetters")
        tolerance = EXACT if exact else COUNT
        assert by_labels(result, *labels) == pytest.approx(want, **tolerance), name
    assert not checks, f"rules no longer in the files: {sorted(checks)}"


async def check_reports(
    api: str, admin: str, facts: Facts, at: float, month: Any, figures: Shown
) -> None:
    """/api/v1/reports/sla over the same periods says what the on-time panels showed."""
    _, start, previous = month
    end = datetime.fromtimestamp(at, UTC)
    rolling = (end - timedelta(days=30), end + timedelta(seconds=1))

    async def percent(period: tuple[datetime, datetime], department: str | None = None):
        params = {"from": period[0].isoformat(), "to": period[1].isoformat()}
        if department:
            params["department"] = department
        async with httpx.AsyncClient(base_url=api, headers=auth(admin), timeout=30) as c:
            r = await c.get("/api/v1/reports/sla", params=params)
        assert r.status_code == 200, r.text
        return r.json()["on_time_percent"]

    def panel(title: str, name: str = "в срок") -> float | None:
        value = figures[(title, "A")].get(name)
        assert not isinstance(value, str), value
        return None if value is None else round(100 * value, 2)

    this_month = (start, (start + timedelta(days=32)).replace(day=1))
    assert await percent(rolling) == panel("В срок за 30 дней") is not None
    assert await percent(this_month) == panel("В срок в этом месяце")
    assert await percent((previous, start)) is None and panel("В срок в прошлом месяце") is None
    by_department = figures[("В срок за 30 дней, по отделам", "A")]
    assert by_department
    for code, name in facts.names.items():
        assert await percent(rolling, code) == panel("В срок за 30 дней, по отделам", name), name


async def test_a_scripted_day_every_panel_and_rule_tells_the_truth(db, database_url, tmp_path):
    admin = await make_key(db, "admin")
    api, api_base = await asyncio.to_thread(start_webhook_api, database_url, tmp_path)
    prom = None
    try:
        scraping_since = time.time()
        prom, prom_base = await asyncio.to_thread(
            start_prometheus, tmp_path, api_base.removeprefix("http://")
        )
        # Every known series is scraped at 0, twice, before the first event of the day.
        await asyncio.to_thread(
            wait_until,
            prom_base,
            "count_over_time(appeals_sla_breaches_total"
            '{department="zhkh",target="resolution"}[1m]) >= 2',
        )
        day = Day(db, api_base, admin)
        for step in (
            day.arrive,
            day.set_deadlines,
            day.work,
            day.rate,
            day.forge,
            day.relay_meets_failing_sources,
            day.connector_history,
            day.close_the_day,
        ):
            await step()
        facts = await read_facts(day)
        finished = await read_finished(db)
        await open_incidents(db, api_base, admin)  # after the day: none of its figures moves
        # Extrapolation to the end of a window stays small once the series are a minute old.
        await asyncio.sleep(max(0.0, scraping_since + 60 - time.time()))
        at = await settle(prom_base, time.time())
        month = month_bounds(day.now)
        everyone = Expected(facts, facts.active, datetime.fromtimestamp(at, UTC))
        assert everyone.on_time() == pytest.approx(3 / 5)  # the day as written
        figures = await check_dashboard(prom_base, everyone, facts, at, month, finished, db)
        for department in ("zhkh", "roads"):
            chosen = Expected(facts, [department], datetime.fromtimestamp(at, UTC))
            await check_dashboard(prom_base, chosen, facts, at, month, finished, db)
        await check_rules(prom_base, everyone, facts, at)
        await check_reports(api_base, admin, facts, at, month, figures)
        # No department of the example city has a webhook: none was sent a notice to dead-letter.
        assert not any(target == "department_webhook" for target, _ in facts.outbox)
    finally:
        if prom is not None:
            prom.stop()
        api.stop()
