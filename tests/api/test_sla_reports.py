"""GET /api/v1/reports/sla on a seeded set; expected figures computed here, independently."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.models.tickets import Ticket
from tests.support.builders import auth, make_key, make_ticket

VLAT = ZoneInfo("Asia/Vladivostok")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=VLAT)
PERIOD = {"from": "2026-02-01T00:00:00+10:00", "to": "2026-03-01T00:00:00+10:00"}
OPEN = {"new", "routed", "in_progress", "on_hold"}
HELD_SINCE = datetime(2026, 2, 13, 10, 0, tzinfo=VLAT)


def d(day: int, hour: int = 10, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=VLAT)


# created, category, source, status, fr_due, fr_at, res_due, answered_at
SEED = [
    (d(2), "roads", "api", "closed", d(3), d(2, 12), d(10), d(5)),
    (d(3), "roads", "incident_management", "answered", d(4), d(5), d(6), d(8)),
    (d(4), "roads", "api", "in_progress", d(5), None, d(10), None),
    (d(20), "roads", "feedback_platform", "routed", d(5, month=3), None, d(20, month=3), None),
    (d(9), "heating", "feedback_platform", "answered", d(10), d(9, 15), d(19), d(18)),
    (d(11), "heating", "incident_management", "on_hold", d(12), d(11, 11), d(14), None),
    (d(12), "roads", "api", "rejected", d(13), None, d(20), None),
    (
        d(15, month=1),
        "roads",
        "api",
        "closed",
        d(16, month=1),
        None,
        d(20, month=1),
        d(25, month=1),
    ),
    (d(25), "roads", "incident_management", "closed", d(26), d(25, 11), d(27), d(26, 16)),
]
# 59-ФЗ registration (its own target) on some of them, by creation time: (due, registered).
# It does not pause: the held one, unregistered past its due date, has missed it.
REGISTRATION = {
    d(3): (d(6), d(7)),  # registered late
    d(4): (d(7), None),  # open, unregistered past due
    d(9): (d(12), None),  # answered on 18 Feb, never registered by hand: after its due date
    d(11): (d(14), None),  # on hold, unregistered past due
    d(20): (d(23), d(20)),  # registered in time
    d(25): (d(28), d(25)),  # registered in time
}


async def seed(db) -> None:
    for created, category, source, status, fr_due, fr_at, res_due, answered in SEED:
        ticket = await make_ticket(
            db,
            category_code=category,
            source=source,
            created_at=created,
            text=f"Обращение {created}",
        )
        async with db.sessionmaker() as session:
            row = await session.get(Ticket, ticket.id)
            assert row is not None
            row.status, row.first_response_due_at, row.first_responded_at = status, fr_due, fr_at
            row.resolution_due_at, row.answered_at = res_due, answered
            row.on_hold_since = HELD_SINCE if status == "on_hold" else None
            row.registration_due_at, row.registered_at = REGISTRATION.get(created, (None, None))
            await session.commit()


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (what percentile_cont does)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def expected(department_categories: set[str] | None = None) -> dict:
    rows = [
        r
        for r in SEED
        if d(1) <= r[0] < d(1, month=3)
        and r[3] not in ("rejected", "merged")
        and (department_categories is None or r[1] in department_categories)
    ]
    on_time = missed = 0
    fr_times, res_times = [], []
    by_category: dict[str, list[int]] = {}
    by_source: dict[str, list[int]] = {}
    registration = {"count": 0, "on_time": 0, "missed": 0}
    for created, category, source, status, fr_due, fr_at, res_due, answered in rows:
        done = status in ("answered", "closed")
        clock = HELD_SINCE if status == "on_hold" else NOW  # a held clock stands still
        res_missed = (done and answered > res_due) or (status in OPEN and res_due < clock)
        fr_missed = (fr_at is not None and fr_at > fr_due) or (
            fr_at is None and status in OPEN and fr_due < clock
        )
        reg_due, reg_at = REGISTRATION.get(created, (None, None))
        reg_missed = reg_due is not None and (
            (reg_at is not None and reg_at > reg_due)
            or (reg_at is None and status in OPEN and reg_due < NOW)
            or (reg_at is None and done and answered > reg_due)
        )
        registration["count"] += reg_due is not None
        registration["on_time"] += reg_at is not None and reg_at <= reg_due
        registration["missed"] += reg_missed
        on_time += done and answered <= res_due
        missed += res_missed
        if fr_at is not None:
            fr_times.append((fr_at - created).total_seconds())
        if done:
            res_times.append((answered - created).total_seconds())
        for table, key in ((by_category, category), (by_source, source)):
            counts = table.setdefault(key, [0, 0, 0])
            counts[0] += fr_missed
            counts[1] += res_missed
            counts[2] += reg_missed
    return {
        "tickets": len(rows),
        "on_time": on_time,
        "missed": missed,
        "pending": len(rows) - on_time - missed,
        "on_time_percent": round(100 * on_time / (on_time + missed), 2),
        "first_response": {
            "count": len(fr_times),
            "median_seconds": percentile(fr_times, 0.5),
            "p95_seconds": percentile(fr_times, 0.95),
        },
        "resolution": {
            "count": len(res_times),
            "median_seconds": percentile(res_times, 0.5),
            "p95_seconds": percentile(res_times, 0.95),
        },
        "breaches_by_category": breach_rows(by_category),
        "breaches_by_source": breach_rows(by_source),
        "registration": registration,
    }


def breach_rows(table: dict[str, list[int]]) -> list[dict]:
    return sorted(
        [
            {"key": k, "first_response": v[0], "resolution": v[1], "registration": v[2]}
            for k, v in table.items()
            if any(v)
        ],
        key=lambda x: x["key"],
    )


def figures(body: dict) -> dict:
    got = {k: body[k] for k in ("tickets", "on_time", "missed", "pending", "on_time_percent")}
    for target in ("first_response", "resolution"):
        got[target] = {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in body[target].items()
        }
    got["breaches_by_category"] = body["breaches_by_category"]
    got["breaches_by_source"] = body["breaches_by_source"]
    got["registration"] = body["registration"]
    return got


def rounded(exp: dict) -> dict:
    for target in ("first_response", "resolution"):
        exp[target] = {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in exp[target].items()
        }
    return exp


@pytest.fixture
async def seeded(app, db):
    await seed(db)
    app.state.clock = lambda: NOW


class TestSlaReport:
    async def test_admin_sees_the_whole_city(self, client, db, seeded) -> None:
        token = await make_key(db, "admin")
        r = await client.get("/api/v1/reports/sla", params=PERIOD, headers=auth(token))
        assert r.status_code == 200, r.text
        assert figures(r.json()) == rounded(expected())
        assert r.json()["department"] is None

    async def test_manager_sees_own_department_only(self, client, db, seeded) -> None:
        token = await make_key(db, "manager", "zhkh")
        r = await client.get("/api/v1/reports/sla", params=PERIOD, headers=auth(token))
        assert r.status_code == 200, r.text
        assert r.json()["department"] == "zhkh"
        assert figures(r.json()) == rounded(expected({"heating"}))
        other = await client.get(
            "/api/v1/reports/sla", params={**PERIOD, "department": "roads"}, headers=auth(token)
        )
        assert other.status_code == 403

    async def test_admin_filters_by_department(self, client, db, seeded) -> None:
        token = await make_key(db, "admin")
        params = {**PERIOD, "department": "roads"}
        r = await client.get("/api/v1/reports/sla", params=params, headers=auth(token))
        assert figures(r.json()) == rounded(expected({"roads"}))

    async def test_operators_may_not(self, client, db, seeded) -> None:
        token = await make_key(db, "operator", "roads")
        r = await client.get("/api/v1/reports/sla", params=PERIOD, headers=auth(token))
        assert r.status_code == 403

    async def test_csv_by_parameter_and_by_accept(self, client, db, seeded) -> None:
        token = await make_key(db, "admin")
        exp = expected()
        for extra, headers in (
            ({"format": "csv"}, {}),
            ({}, {"Accept": "text/csv"}),
        ):
            r = await client.get(
                "/api/v1/reports/sla", params={**PERIOD, **extra}, headers=auth(token) | headers
            )
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO(r.text)))
            assert rows[0] == ["section", "key", "value"]
            cells = {(s, k): v for s, k, v in rows[1:]}
            assert int(cells[("summary", "tickets")]) == exp["tickets"]
            assert float(cells[("summary", "on_time_percent")]) == exp["on_time_percent"]
            assert int(cells[("breaches_by_category.resolution", "roads")]) == next(
                b["resolution"] for b in exp["breaches_by_category"] if b["key"] == "roads"
            )
            assert int(cells[("breaches_by_category.registration", "roads")]) == next(
                b["registration"] for b in exp["breaches_by_category"] if b["key"] == "roads"
            )
            assert int(cells[("registration", "missed")]) == exp["registration"]["missed"]

    async def test_bad_period_is_422(self, client, db, seeded) -> None:
        token = await make_key(db, "admin")
        for params in (
            {"from": PERIOD["to"], "to": PERIOD["from"]},
            {"from": "2026-02-01T00:00:00", "to": "2026-03-01T00:00:00"},  # no time zone
            {**PERIOD, "format": "xml"},
        ):
            r = await client.get("/api/v1/reports/sla", params=params, headers=auth(token))
            assert r.status_code == 422, params
        wide = {"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z"}
        r = await client.get("/api/v1/reports/sla", params=wide, headers=auth(token))
        assert r.status_code == 200 and r.json()["tickets"] == expected()["tickets"] + 1
