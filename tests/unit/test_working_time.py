"""Working time on the Russian production calendar: the real calendar cases of issue 5."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.sla.working_time import WorkCalendar

VLAT = ZoneInfo("Asia/Vladivostok")
CAL = WorkCalendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VLAT)


class TestProductionCalendar:
    def test_installed_holidays_know_2025_2026_substitutions(self) -> None:
        assert CAL.is_working_day(date(2025, 11, 1))  # working Saturday
        assert not CAL.is_working_day(date(2025, 11, 3))  # substituted from 1 Nov
        assert not CAL.is_working_day(date(2025, 12, 31))  # substituted from 5 Jan
        assert not CAL.is_working_day(date(2026, 1, 9))  # substituted from 3 Jan
        assert CAL.is_working_day(date(2026, 1, 12))
        assert not CAL.is_working_day(date(2025, 11, 8))  # an ordinary Saturday

    def test_installed_holidays_know_the_2027_decree(self) -> None:
        # holidays 0.109 (docs/SLA.md): the decree for 2027 is in the package.
        assert CAL.is_working_day(date(2027, 2, 20))  # working Saturday
        assert not CAL.is_working_day(date(2027, 2, 22))  # substituted from 20 Feb
        assert not CAL.is_working_day(date(2027, 11, 5))  # substituted from 2 Jan
        assert not CAL.is_working_day(date(2027, 12, 31))  # substituted from 3 Jan
        assert not CAL.is_working_day(date(2027, 6, 14))  # Russia Day (Saturday) moved

    def test_2028_needs_the_citys_correction(self) -> None:
        # 4 Nov 2028 is a Saturday: the Labour Code (art. 112) moves the day off to Monday
        # 6 Nov, which the installed package still counts as a working day. (When a newer
        # `holidays` knows 2028 this line fails: update the example in docs/SLA.md with it.)
        assert CAL.is_working_day(date(2028, 11, 6))
        cal = WorkCalendar(extra_days_off=frozenset({date(2028, 11, 6)}))
        assert not cal.is_working_day(date(2028, 11, 6))
        assert cal.legal_due(date(2028, 11, 4)) == local(2028, 11, 7, 23, 59, 59)

    def test_city_corrections_win_over_the_package(self) -> None:
        cal = WorkCalendar(
            extra_days_off=frozenset({date(2027, 1, 11)}),
            extra_working_days=frozenset({date(2027, 1, 16)}),
        )
        assert not cal.is_working_day(date(2027, 1, 11))
        assert cal.is_working_day(date(2027, 1, 16))

    def test_a_date_cannot_be_both(self) -> None:
        with pytest.raises(ValueError):
            WorkCalendar(
                extra_days_off=frozenset({date(2027, 1, 11)}),
                extra_working_days=frozenset({date(2027, 1, 11)}),
            )


class TestWorkingHours:
    def test_im_high_post_at_17_on_a_friday(self) -> None:
        # 1 hour left on Friday, 3 on Monday morning.
        due = CAL.add_working_hours(local(2025, 11, 28, 17, 0), 4)
        assert due == local(2025, 12, 1, 12, 0)

    def test_nine_hours_from_30_december_across_the_new_year(self) -> None:
        # 30 Dec 17:00 → 1 h that day; 31 Dec (substituted), 1–8 Jan, 9 Jan (substituted) and
        # the weekend are off; the remaining 8 h are Monday 12 Jan 09:00–17:00.
        due = CAL.add_working_hours(local(2025, 12, 30, 17, 0), 9)
        assert due == local(2026, 1, 12, 17, 0)
        assert CAL.working_seconds_between(local(2025, 12, 30, 17, 0), due) == 9 * 3600

    def test_working_saturday_1_november_2025_counts(self) -> None:
        assert CAL.add_working_hours(local(2025, 10, 31, 17, 0), 4) == local(2025, 11, 1, 12, 0)
        # From Saturday evening: 3 and 4 Nov are off, Wednesday 5 Nov takes the rest.
        assert CAL.add_working_hours(local(2025, 11, 1, 17, 0), 9) == local(2025, 11, 5, 17, 0)

    def test_start_outside_office_hours_starts_at_opening(self) -> None:
        assert CAL.add_working_hours(local(2026, 2, 2, 6, 30), 1) == local(2026, 2, 2, 10, 0)
        assert CAL.add_working_hours(local(2026, 2, 2, 20, 0), 1) == local(2026, 2, 3, 10, 0)

    def test_used_up_at_closing_time_ends_at_closing_time(self) -> None:
        assert CAL.add_working_hours(local(2026, 2, 2, 9, 0), 9) == local(2026, 2, 2, 18, 0)

    def test_zero_is_the_start(self) -> None:
        start = local(2026, 2, 1, 3, 0)
        assert CAL.add_working_seconds(start, 0) == start.astimezone(UTC)

    def test_working_days_keep_the_time_of_day(self) -> None:
        assert CAL.add_working_days(local(2026, 2, 2, 10, 0), 1) == local(2026, 2, 3, 10, 0)
        # 7 working days from Friday 6 Feb 2026 11:00: Mon 9 … Tue 17 Feb (23 Feb is later).
        assert CAL.add_working_days(local(2026, 2, 6, 11, 0), 7) == local(2026, 2, 17, 11, 0)

    def test_between_ignores_nights_weekends_and_holidays(self) -> None:
        friday_17 = local(2025, 11, 28, 17, 0)
        monday_10 = local(2025, 12, 1, 10, 0)
        assert CAL.working_seconds_between(friday_17, monday_10) == 2 * 3600
        assert CAL.working_seconds_between(monday_10, friday_17) == 0

    def test_other_office_hours(self) -> None:
        cal = WorkCalendar(office_start=time(8, 0), office_end=time(17, 0))
        assert cal.add_working_hours(local(2026, 2, 2, 16, 0), 2) == local(2026, 2, 3, 9, 0)

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValueError):
            CAL.add_working_hours(datetime(2026, 2, 2, 10, 0), 1)


class TestCalendarDays:
    def test_thirty_days_count_from_the_next_day(self) -> None:
        assert CAL.calendar_term_last_day(local(2026, 3, 10, 15, 0), 30) == date(2026, 4, 9)

    def test_local_date_not_utc_date(self) -> None:
        # 01:00 on 10 March in Vladivostok is still 9 March in UTC.
        assert CAL.calendar_term_last_day(local(2026, 3, 10, 1, 0), 30) == date(2026, 4, 9)

    def test_last_day_off_moves_forward_for_law_and_back_for_control(self) -> None:
        last_day = CAL.calendar_term_last_day(local(2025, 12, 2, 12, 0), 30)
        assert last_day == date(2026, 1, 1)
        assert CAL.legal_due(last_day) == local(2026, 1, 12, 23, 59, 59)
        assert CAL.control_due(last_day) == local(2025, 12, 30, 23, 59, 59)

    def test_a_working_last_day_stays(self) -> None:
        day = date(2026, 4, 9)
        assert CAL.legal_due(day) == CAL.control_due(day) == local(2026, 4, 9, 23, 59, 59)
        assert CAL.end_of_day(day) - CAL.end_of_day(day - timedelta(days=1)) == timedelta(days=1)
