"""SLA policy matching and deadline arithmetic (pure: rules, calendar and ``now`` passed in)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.models.common import Unit
from app.sla.working_time import WorkCalendar

AT_RISK_SHARE = 0.75


@dataclass(frozen=True)
class Term:
    value: float
    unit: Unit

    def due(self, cal: WorkCalendar, start: datetime) -> datetime:
        """The moment this term ends when it starts at ``start``."""
        if self.unit == Unit.working_hours:
            return cal.add_working_hours(start, self.value)
        if self.unit == Unit.working_days:
            return cal.add_working_days(start, self.value)
        if self.unit == Unit.calendar_hours:
            return start + timedelta(hours=self.value)
        return cal.end_of_day(cal.calendar_term_last_day(start, int(self.value)))


@dataclass(frozen=True)
class PolicyTerms:
    """What a policy promises; a snapshot is kept on the ticket so later edits of the policy do
    not move the deadlines of tickets already running."""

    name: str
    first_response: Term | None = None
    resolution: Term | None = None
    # IM: after an interim answer the final one is due within this term of the interim answer.
    after_interim: Term | None = None
    # ПОС: the item's own planned answer time (``answerAt``) wins when it carries one.
    use_source_due: bool = False
    # 59-ФЗ: legal due (moved forward off days off) + internal control date (moved back);
    # the legal date is not paused by on_hold and moves only by a recorded extension.
    legal_dates: bool = False
    max_extension_days: int = 0
    # 59-ФЗ art. 8 p. 2: registered within this term of receipt; its own target, never a first
    # response. The hub registers when it makes the ticket, unless the city does it by hand.
    registration: Term | None = None
    registration_by_hand: bool = False

    def to_json(self) -> dict[str, Any]:
        # Each new ticket stores its terms: made once per policy (asdict deep-copies), then
        # copied one level down so no ticket shares a dict with another.
        return {k: dict(v) if isinstance(v, dict) else v for k, v in _terms_json(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyTerms:
        names = ("first_response", "resolution", "after_interim", "registration")
        terms = {k: _term(data.get(k)) for k in names}
        if data.get("legal_dates") and terms["registration"] is None:
            # A snapshot from before 0016: its 59-ФЗ "first response" was the registration term.
            terms["registration"], terms["first_response"] = terms["first_response"], None
        return cls(
            name=str(data.get("name", "")),
            use_source_due=bool(data.get("use_source_due")),
            legal_dates=bool(data.get("legal_dates")),
            max_extension_days=int(data.get("max_extension_days") or 0),
            registration_by_hand=bool(data.get("registration_by_hand")),
            **terms,
        )


@dataclass(frozen=True)
class PolicyRule:
    """A policy with its conditions; ``None`` matches anything."""

    terms: PolicyTerms
    position: int = 100
    source: str | None = None
    kind: str | None = None
    category: str | None = None
    priority: str | None = None
    fast_track: bool | None = None

    @property
    def specificity(self) -> int:
        return sum(
            c is not None
            for c in (self.source, self.kind, self.category, self.priority, self.fast_track)
        )

    def matches(self, facts: TicketFacts) -> bool:
        return (
            (self.source is None or self.source == facts.source)
            and (self.kind is None or self.kind == facts.kind)
            and (self.category is None or self.category == facts.category)
            and (self.priority is None or self.priority == facts.priority)
            and (self.fast_track is None or self.fast_track == facts.fast_track)
        )


@dataclass(frozen=True)
class TicketFacts:
    source: str
    kind: str
    category: str
    priority: str
    fast_track: bool = False


def match_policy(rules: Iterable[PolicyRule], facts: TicketFacts) -> PolicyRule | None:
    """The most specific matching rule; among equally specific ones the lowest position."""
    matching = [r for r in rules if r.matches(facts)]
    if not matching:
        return None
    return min(matching, key=lambda r: (-r.specificity, r.position, r.terms.name))


@dataclass(frozen=True)
class Deadlines:
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    legal_due_at: datetime | None = None
    control_due_at: datetime | None = None
    first_response_risk_at: datetime | None = None
    resolution_risk_at: datetime | None = None
    registration_due_at: datetime | None = None

    def as_dict(self) -> dict[str, datetime | None]:
        # Not dataclasses.asdict: it deep-copies every value (the datetimes are immutable).
        return {f.name: getattr(self, f.name) for f in fields(self)}


def risk_point(cal: WorkCalendar, start: datetime, due: datetime, *, working: bool) -> datetime:
    """The moment ``AT_RISK_SHARE`` of the window ``start → due`` is used up."""
    if due <= start:
        return due
    if working:
        used = cal.working_seconds_between(start, due) * AT_RISK_SHARE
        return cal.add_working_seconds(start, used)
    return start + (due - start) * AT_RISK_SHARE


def registration_due(cal: WorkCalendar, term: Term, start: datetime) -> datetime:
    """When an appeal received at ``start`` must be registered. A term in calendar days ends
    on its last day moved forward off a day off (Civil Code art. 193), like the 30-day one."""
    if term.unit == Unit.calendar_days:
        return cal.legal_due(cal.calendar_term_last_day(start, int(term.value)))
    return term.due(cal, start)


def initial_deadlines(
    cal: WorkCalendar,
    terms: PolicyTerms,
    *,
    start: datetime,
    source_due: datetime | None = None,
    extension_days: int = 0,
) -> Deadlines:
    """Deadlines of a ticket registered at ``start`` under ``terms``."""
    fr_due = terms.first_response.due(cal, start) if terms.first_response else None
    fr_risk = (
        risk_point(cal, start, fr_due, working=terms.first_response.unit.is_working)
        if terms.first_response and fr_due
        else None
    )
    legal = control = None
    working = False
    if terms.use_source_due and source_due is not None:
        res_due: datetime | None = source_due
    elif terms.after_interim is not None and fr_due is not None:
        # Provisional: as if the interim answer came at the last allowed moment.
        res_due = terms.after_interim.due(cal, fr_due)
        working = terms.after_interim.unit.is_working
    elif terms.resolution is not None:
        res_due = terms.resolution.due(cal, start)
        working = terms.resolution.unit.is_working
        if terms.legal_dates and terms.resolution.unit == Unit.calendar_days:
            last_day = cal.calendar_term_last_day(
                start, int(terms.resolution.value) + extension_days
            )
            legal, control = cal.legal_due(last_day), cal.control_due(last_day)
            res_due = legal
    else:
        res_due = None
    res_risk = risk_point(cal, start, res_due, working=working) if res_due else None
    return Deadlines(
        first_response_due_at=fr_due,
        resolution_due_at=res_due,
        legal_due_at=legal,
        control_due_at=control,
        first_response_risk_at=fr_risk,
        resolution_risk_at=res_risk,
        registration_due_at=(
            registration_due(cal, terms.registration, start) if terms.registration else None
        ),
    )


def after_interim_answer(
    cal: WorkCalendar, terms: PolicyTerms, current: Deadlines, *, answered_at: datetime
) -> Deadlines:
    """IM: the final answer is now due ``after_interim`` from the interim answer."""
    if terms.after_interim is None:
        return current
    due = terms.after_interim.due(cal, answered_at)
    risk = risk_point(cal, answered_at, due, working=terms.after_interim.unit.is_working)
    return replace(current, resolution_due_at=due, resolution_risk_at=risk)


def reopened(
    cal: WorkCalendar, terms: PolicyTerms, current: Deadlines, *, now: datetime
) -> Deadlines:
    """A reopened ticket gets a fresh resolution window from the moment it is reopened."""
    term = terms.after_interim or terms.resolution
    if term is None:
        return replace(current, resolution_due_at=None, resolution_risk_at=None)
    due = term.due(cal, now)
    return replace(
        current,
        resolution_due_at=due,
        resolution_risk_at=risk_point(cal, now, due, working=term.unit.is_working),
    )


def resumed(
    cal: WorkCalendar,
    terms: PolicyTerms,
    current: Deadlines,
    *,
    held_from: datetime,
    now: datetime,
) -> Deadlines:
    """Move the running deadlines by the time spent on hold (office time for working terms)."""
    wall = now - held_from
    office = cal.working_seconds_between(held_from, now)

    def move(instant: datetime | None, unit: Unit | None) -> datetime | None:
        if instant is None:
            return None
        if unit is not None and unit.is_working:
            return cal.add_working_seconds(instant, office)
        return instant + wall

    fr_unit = terms.first_response.unit if terms.first_response else None
    res_term = terms.after_interim or terms.resolution
    res_unit = res_term.unit if res_term else None
    moved = replace(
        current,
        first_response_due_at=move(current.first_response_due_at, fr_unit),
        first_response_risk_at=move(current.first_response_risk_at, fr_unit),
    )
    if terms.legal_dates:  # the law has no pause: legal and control dates stay
        return moved
    return replace(
        moved,
        resolution_due_at=move(current.resolution_due_at, res_unit),
        resolution_risk_at=move(current.resolution_risk_at, res_unit),
    )


def next_check(
    deadlines: Deadlines,
    *,
    first_responded_at: datetime | None,
    registered_at: datetime | None = None,
) -> datetime | None:
    """The earliest threshold the sweeper has to look at (it skips ones already marked).

    First-response thresholds passed before the first response stay in, so a late answer given
    between two sweeps is still marked as a breach; so does a registration due date passed
    before the registration (an old appeal imported late)."""
    first = (deadlines.first_response_risk_at, deadlines.first_response_due_at)
    reg = deadlines.registration_due_at
    points = [
        *(p for p in first if first_responded_at is None or (p and p < first_responded_at)),
        reg if reg is not None and (registered_at is None or reg < registered_at) else None,
        deadlines.resolution_risk_at,
        deadlines.resolution_due_at,
    ]
    present = [p for p in points if p is not None]
    return min(present) if present else None


@functools.lru_cache(maxsize=256)
def _terms_json(terms: PolicyTerms) -> dict[str, Any]:
    return _plain(asdict(terms))  # type: ignore[no-any-return]


def _term(value: Any) -> Term | None:
    if not value:
        return None
    return Term(value=float(value["value"]), unit=Unit(value["unit"]))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, StrEnum):
        return value.value
    return value
