"""Working-time arithmetic on the Russian production calendar (pure: no clock, no database).

The calendar is ``holidays.country_holidays("RU")``: public holidays, the government's
substituted days off (e.g. 31 Dec 2025, 9 Jan 2026) and working Saturdays (1 Nov 2025).
Decrees for a coming year appear in autumn; until the installed ``holidays`` knows them a city
adds them through ``extra_days_off`` / ``extra_working_days``. Office hours are one interval a
day in the city's time zone. Instants in and out are timezone-aware; results are UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

_DAY = timedelta(days=1)
# A working-day walk never needs more than this many calendar days (long holidays included).
_SEARCH_LIMIT_DAYS = 3660


@dataclass(frozen=True)
class WorkCalendar:
    """Production calendar + office hours + time zone; all deadline arithmetic goes here."""

    timezone: str = "Asia/Vladivostok"
    office_start: time = time(9, 0)
    office_end: time = time(18, 0)
    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.office_start >= self.office_end:
            raise ValueError("office hours must start before they end")
        if self.extra_days_off & self.extra_working_days:
            raise ValueError("a date cannot be both an extra day off and an extra working day")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("RU")

    @property
    def day_seconds(self) -> int:
        """Length of one working day in seconds (09:00–18:00 → 32 400)."""
        start = datetime.combine(date(2000, 1, 3), self.office_start)
        end = datetime.combine(date(2000, 1, 3), self.office_end)
        return int((end - start).total_seconds())

    # -- days -------------------------------------------------------------------------------

    @cached_property
    def _memo(self) -> dict[date, bool]:
        return {}

    def is_working_day(self, day: date) -> bool:
        """A working day of the production calendar, with the city's own corrections."""
        known = self._memo.get(day)
        if known is None:
            if day in self.extra_working_days:
                known = True
            elif day in self.extra_days_off:
                known = False
            else:
                known = bool(self._holidays.is_working_day(day))
            self._memo[day] = known
        return known

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        for _ in range(_SEARCH_LIMIT_DAYS):
            if self.is_working_day(day):
                return day
            day += _DAY
        raise ValueError("no working day found")  # pragma: no cover - calendar misconfigured

    def previous_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the last working day before it."""
        for _ in range(_SEARCH_LIMIT_DAYS):
            if self.is_working_day(day):
                return day
            day -= _DAY
        raise ValueError("no working day found")  # pragma: no cover

    def local_date(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.tz).date()

    def end_of_day(self, day: date) -> datetime:
        """The last second of a local calendar day (23:59:59), in UTC."""
        return (datetime.combine(day + _DAY, time(0), self.tz) - timedelta(seconds=1)).astimezone(
            UTC
        )

    # -- working intervals ------------------------------------------------------------------

    def _office(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.office_start, self.tz).astimezone(UTC)
        end = datetime.combine(day, self.office_end, self.tz).astimezone(UTC)
        return start, end

    def _intervals_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for _ in range(_SEARCH_LIMIT_DAYS * 10):
            if self.is_working_day(day):
                yield self._office(day)
            day += _DAY

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant by which ``seconds`` of office time have passed since ``start``.

        Zero returns ``start`` unchanged; a positive amount always lands inside office hours
        (an amount used up exactly at closing time ends at closing time, not next morning).
        """
        if seconds < 0:
            raise ValueError("working time to add must not be negative")
        start = _aware(start).astimezone(UTC)
        if seconds == 0:
            return start
        left = timedelta(seconds=seconds)
        for open_at, close_at in self._intervals_from(self.local_date(start) - _DAY):
            if close_at <= start:
                continue
            begin = max(open_at, start)
            available = close_at - begin
            if left <= available:
                return begin + left
            left -= available
        raise ValueError("working time too long")  # pragma: no cover

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` of office time."""
        return self.add_working_seconds(start, hours * 3600)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """``start`` plus ``days`` full working days of office time (10:00 Mon + 1 → 10:00 Tue)."""
        return self.add_working_seconds(start, days * self.day_seconds)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Office time inside ``[start, end)``; zero when ``end`` is not after ``start``."""
        start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
        if end <= start:
            return 0.0
        total = timedelta(0)
        day = self.local_date(start) - _DAY
        last = self.local_date(end) + _DAY
        while day <= last:
            if self.is_working_day(day):
                open_at, close_at = self._office(day)
                begin, finish = max(open_at, start), min(close_at, end)
                if finish > begin:
                    total += finish - begin
            day += _DAY
        return total.total_seconds()

    # -- calendar days (59-ФЗ) --------------------------------------------------------------

    def calendar_term_last_day(self, start: datetime, days: int) -> date:
        """The last day of a term of ``days`` calendar days counted from the day after ``start``
        (Civil Code art. 191: registered on 10 March, 30 days → 9 April)."""
        return self.local_date(start) + timedelta(days=days)

    def legal_due(self, last_day: date) -> datetime:
        """End of the last day, moved forward off a day off to the next working day
        (Civil Code art. 193)."""
        return self.end_of_day(self.next_working_day(last_day))

    def control_due(self, last_day: date) -> datetime:
        """Internal control date: end of the last day moved back to the previous working day."""
        return self.end_of_day(self.previous_working_day(last_day))


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are not accepted; pass timezone-aware instants")
    return instant
