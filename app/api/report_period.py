"""What period a report covers, read from its query string: defaults in the city's time zone,
plain dates as the city's midnight, and errors that say the accepted form in words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated

from fastapi import Depends, Query

from app.api.deps import NowDep, SettingsDep
from app.errors import ValidationFailed

# Every example here must work pasted into a URL as it is: no `+` (a query string reads it
# as a space), so offsets are written `Z`, or a plain date stands for the city's midnight.
BOUND_FORMS = (
    "a date like 2026-11-01 (midnight in the city's time zone) "
    "or a date-time with its offset like 2026-11-01T00:00:00Z"
)
WEEK_FORMS = "an ISO week like 2026-W49, or a date in that week like 2026-12-01"

# A digest compares its week with the one before: the first and the last year are left out.
MIN_YEAR, MAX_YEAR = 2, 9998
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEK = re.compile(r"(\d{4})-W(\d{1,2})", re.IGNORECASE)
# "2026-11-01T00:00:00+10:00" sent unencoded arrives as "2026-11-01T00:00:00 10:00".
_SPACED_OFFSET = re.compile(r"(T[\d:.]+) (\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class ReportPeriod:
    """``[start, end)``, both timezone-aware."""

    start: datetime
    end: datetime


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, errors=[{"field": f"query.{field}", "message": message, "type": "value_error"}]
    )


def parse_bound(value: str, *, field: str, tz: tzinfo) -> datetime:
    """A plain date is midnight in ``tz``; a date-time must carry its offset (or ``Z``)."""
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), time(), tz)
        parsed = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", text))
    except ValueError:
        raise _refuse(field, f"{field} must be {BOUND_FORMS}") from None
    if parsed.tzinfo is None:
        raise _refuse(
            field,
            f"{field} has a time but no offset: add Z (UTC) or give a plain date "
            "for the city's midnight, like 2026-11-01",
        )
    return parsed


def _month_start(moment: datetime, tz: tzinfo) -> datetime:
    local = moment.astimezone(tz)
    return datetime(local.year, local.month, 1, tzinfo=tz)


def _next_month_start(moment: datetime, tz: tzinfo) -> datetime:
    first = _month_start(moment, tz)
    return datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=tz)


def resolve_period(
    start: str | None, end: str | None, *, tz: tzinfo, now: datetime
) -> ReportPeriod:
    """Each bound left out is taken from the calendar month (in ``tz``) of the other one;
    both left out: this month."""
    first = parse_bound(start, field="from", tz=tz) if start else None
    after = parse_bound(end, field="to", tz=tz) if end else None
    try:
        if first is None:
            anchor = after - timedelta(microseconds=1) if after is not None else now
            first = _month_start(anchor, tz)
        if after is None:
            after = _next_month_start(first, tz)
    except (ValueError, OverflowError):
        raise _refuse("from", "the month around the one bound given is out of range") from None
    if after <= first:
        raise _refuse("to", "'to' must be after 'from' (the period is from ≤ time < to)")
    return ReportPeriod(first, after)


def resolve_week(value: str | None, *, tz: tzinfo, now: datetime) -> str:
    """``2026-W49`` as given, the ISO week of a plain date, or this week in ``tz``."""
    text = (value or "").strip()
    if not text:
        day = now.astimezone(tz).date()
    elif _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _refuse("week", f"week must be {WEEK_FORMS}") from None
    elif match := _WEEK.fullmatch(text):
        year, week = int(match[1]), int(match[2])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _refuse("week", f"week must be {WEEK_FORMS}, of a year {MIN_YEAR}–{MAX_YEAR}")
        last = date(year, 12, 28).isocalendar().week
        if not 1 <= week <= last:
            raise _refuse("week", f"{year} has weeks 1 to {last}: week must be {WEEK_FORMS}")
        return f"{year}-W{week:02d}"
    else:
        raise _refuse("week", f"week must be {WEEK_FORMS}")
    iso = day.isocalendar()
    if not MIN_YEAR <= iso.year <= MAX_YEAR:
        raise _refuse("week", f"week must be {WEEK_FORMS}, of a year {MIN_YEAR}–{MAX_YEAR}")
    return f"{iso.year}-W{iso.week:02d}"


async def report_period(
    settings: SettingsDep,
    now: NowDep,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=40,
            description="Start, inclusive: " + BOUND_FORMS + ". Default: the first day of "
            "the month of `to`, or of this month.",
            examples=["2026-11-01"],
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            max_length=40,
            description="End, exclusive (`from=2026-11-01&to=2026-12-01` is November): "
            + BOUND_FORMS
            + ". Default: the first day of the month after `from`'s.",
            examples=["2026-12-01"],
        ),
    ] = None,
) -> ReportPeriod:
    """The report's period; without ``from`` and ``to`` this month in the city's time zone."""
    return resolve_period(from_, to, tz=settings.tz, now=now)


PeriodDep = Annotated[ReportPeriod, Depends(report_period)]
