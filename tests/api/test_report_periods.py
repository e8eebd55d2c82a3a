"""Reports without parameters cover this month (this week) in the city's time zone; plain dates
are the city's midnight; a wrong value is answered with the accepted form, and the example in
that answer works when pasted into a URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.support.builders import auth, make_key, make_ticket

# 1 December 2026, 01:00 in Vladivostok (UTC+10): still November in UTC.
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
DECEMBER = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 2026-12-01T00:00 in the city
JANUARY = datetime(2026, 12, 31, 14, 0, tzinfo=UTC)  # 2027-01-01T00:00 in the city
EXAMPLE = re.compile(r"\d{4}-(?:W\d{2}|\d{2}-\d{2}(?:T[\d:]+Z)?)")


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
async def admin(app, db) -> str:
    app.state.clock = lambda: NOW
    return await make_key(db, "admin")


class TestSlaReport:
    async def test_no_parameters_is_this_month_in_the_city(self, client, db, admin) -> None:
        # Local 1 December 06:00 counts; local 30 November 23:00 (also 30 Nov in UTC) not.
        await make_ticket(db, now=datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
        await make_ticket(db, now=datetime(2026, 11, 30, 13, 0, tzinfo=UTC))
        r = await client.get("/api/v1/reports/sla", headers=auth(admin))
        assert r.status_code == 200, r.text
        body = r.json()
        assert at(body["period_from"]) == DECEMBER and at(body["period_to"]) == JANUARY
        assert body["tickets"] == 1

    async def test_plain_dates_are_the_citys_midnight(self, client, admin) -> None:
        r = await client.get(
            "/api/v1/reports/sla?from=2026-12-01&to=2027-01-01", headers=auth(admin)
        )
        assert r.status_code == 200, r.text
        assert at(r.json()["period_from"]) == DECEMBER and at(r.json()["period_to"]) == JANUARY

    async def test_one_bound_takes_the_month_of_the_other(self, client, admin) -> None:
        r = await client.get("/api/v1/reports/sla?from=2026-12-01", headers=auth(admin))
        assert at(r.json()["period_to"]) == JANUARY
        r = await client.get("/api/v1/reports/sla?to=2027-01-01", headers=auth(admin))
        assert at(r.json()["period_from"]) == DECEMBER

    async def test_an_unencoded_plus_offset_is_read_as_meant(self, client, admin) -> None:
        # Typed into a browser, «+10:00» arrives as « 10:00».
        url = "/api/v1/reports/sla?from=2026-12-01T00:00:00+10:00&to=2027-01-01T00:00:00+10:00"
        r = await client.get(url, headers=auth(admin))
        assert r.status_code == 200, r.text
        assert at(r.json()["period_from"]) == DECEMBER

    @pytest.mark.parametrize(
        ("query", "words"),
        [
            ("from=01.12.2026", "a date like 2026-11-01"),
            ("from=2026-13-01", "a date like 2026-11-01"),
            ("from=2026-12-01T00:00:00", "no offset"),
            ("from=2027-01-01&to=2026-12-01", "'to' must be after 'from'"),
        ],
    )
    async def test_a_wrong_value_says_the_form_and_its_example_works(
        self, client, admin, query: str, words: str
    ) -> None:
        r = await client.get(f"/api/v1/reports/sla?{query}", headers=auth(admin))
        assert r.status_code == 422
        problem = r.json()
        assert words in problem["detail"]
        assert "pattern" not in problem["detail"] and "^" not in problem["detail"]
        for example in EXAMPLE.findall(problem["detail"]):
            pasted = await client.get(f"/api/v1/reports/sla?from={example}", headers=auth(admin))
            assert pasted.status_code == 200, (example, pasted.text)


class TestSatisfaction:
    async def test_no_parameters_is_this_month_in_the_city(self, client, admin) -> None:
        r = await client.get("/api/v1/reports/satisfaction", headers=auth(admin))
        assert r.status_code == 200, r.text
        assert at(r.json()["period_from"]) == DECEMBER and at(r.json()["period_to"]) == JANUARY

    async def test_plain_dates(self, client, admin) -> None:
        r = await client.get(
            "/api/v1/reports/satisfaction",
            params={"from": "2026-12-01", "to": "2027-01-01"},
            headers=auth(admin),
        )
        assert r.status_code == 200, r.text
        assert at(r.json()["period_from"]) == DECEMBER


class TestWeeklyDigest:
    async def test_no_week_is_this_week_in_the_city(self, client, admin) -> None:
        # Tuesday 1 December in the city is ISO week 49 (Monday 30 November in UTC too).
        r = await client.get("/api/v1/reports/weekly-digest", headers=auth(admin))
        assert r.status_code == 200, r.text
        assert r.json()["week"] == "2026-W49"

    async def test_a_date_means_its_week(self, client, admin) -> None:
        r = await client.get("/api/v1/reports/weekly-digest?week=2026-12-06", headers=auth(admin))
        assert r.status_code == 200, r.text
        assert r.json()["week"] == "2026-W49"

    @pytest.mark.parametrize(
        ("week", "words"), [("49", "like 2026-W49"), ("2026-W60", "2026 has weeks 1 to 53")]
    )
    async def test_a_wrong_week_says_the_form_and_its_example_works(
        self, client, admin, week: str, words: str
    ) -> None:
        r = await client.get(f"/api/v1/reports/weekly-digest?week={week}", headers=auth(admin))
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert words in detail and "^" not in detail
        examples = EXAMPLE.findall(detail)
        assert "2026-W49" in examples
        for example in examples:
            pasted = await client.get(
                f"/api/v1/reports/weekly-digest?week={example}", headers=auth(admin)
            )
            assert pasted.status_code == 200, (example, pasted.text)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/satisfaction?from=0001-01-01&to=9999-12-31",
        "/api/v1/reports/weekly-digest?week=0000-W01",
        "/api/v1/reports/weekly-digest?week=9999-W52",
        "/api/v1/reports/weekly-digest?week=0001-01-01",
        "/api/v1/reports/sla?to=0001-01-01",
        "/api/v1/reports/sla?from=9999-12-31T23:59:59-12:00",
    ],
)
async def test_the_calendars_edges_are_422_not_500(client, admin, url: str) -> None:
    r = await client.get(url, headers=auth(admin))
    assert r.status_code == 422, r.text
