"""Properties of working-time arithmetic (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.sla.working_time import WorkCalendar

CAL = WorkCalendar()
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
# Up to ~40 working days, whole seconds (exact arithmetic).
amounts = st.integers(min_value=1, max_value=40 * 9 * 3600)


def inside_office_hours(instant: datetime) -> bool:
    local = instant.astimezone(CAL.tz)
    opening = local.replace(hour=9, minute=0, second=0, microsecond=0)
    closing = local.replace(hour=18, minute=0, second=0, microsecond=0)
    return CAL.is_working_day(local.date()) and opening <= local <= closing


@settings(max_examples=150, deadline=None)
@given(start=instants, a=amounts, b=amounts)
def test_adding_more_never_ends_earlier(start: datetime, a: int, b: int) -> None:
    small, large = sorted((a, b))
    assert CAL.add_working_seconds(start, small) <= CAL.add_working_seconds(start, large)


@settings(max_examples=150, deadline=None)
@given(start=instants, later=st.integers(min_value=0, max_value=30 * 86400), amount=amounts)
def test_starting_later_never_ends_earlier(start: datetime, later: int, amount: int) -> None:
    assert CAL.add_working_seconds(start, amount) <= CAL.add_working_seconds(
        start + timedelta(seconds=later), amount
    )


@settings(max_examples=150, deadline=None)
@given(start=instants, a=amounts, b=amounts)
def test_adding_a_then_b_is_adding_a_plus_b(start: datetime, a: int, b: int) -> None:
    stepwise = CAL.add_working_seconds(CAL.add_working_seconds(start, a), b)
    assert stepwise == CAL.add_working_seconds(start, a + b)


@settings(max_examples=150, deadline=None)
@given(start=instants, amount=amounts)
def test_results_fall_inside_office_hours(start: datetime, amount: int) -> None:
    assert inside_office_hours(CAL.add_working_seconds(start, amount))


@settings(max_examples=150, deadline=None)
@given(start=instants, amount=amounts)
def test_measuring_undoes_adding(start: datetime, amount: int) -> None:
    end = CAL.add_working_seconds(start, amount)
    assert CAL.working_seconds_between(start, end) == amount
