"""Policy matching and deadline rules (pure, no database)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.sla.rules import (
    PolicyRule,
    PolicyTerms,
    Term,
    TicketFacts,
    Unit,
    after_interim_answer,
    initial_deadlines,
    match_policy,
    next_check,
    resumed,
)
from app.sla.working_time import WorkCalendar

VLAT = ZoneInfo("Asia/Vladivostok")
CAL = WorkCalendar()
IM_HIGH = PolicyTerms(
    "im_high", first_response=Term(4, Unit.working_hours), after_interim=Term(7, Unit.working_days)
)
IM_OTHER = PolicyTerms(
    "im_other", first_response=Term(9, Unit.working_hours), after_interim=Term(7, Unit.working_days)
)
FZ59 = PolicyTerms(
    "fz59",
    registration=Term(3, Unit.calendar_days),
    resolution=Term(30, Unit.calendar_days),
    legal_dates=True,
    max_extension_days=30,
)
POS = PolicyTerms("pos", resolution=Term(10, Unit.calendar_days), use_source_due=True)
RULES = [
    PolicyRule(IM_HIGH, source="incident_management", priority="high"),
    PolicyRule(IM_OTHER, source="incident_management"),
    PolicyRule(FZ59, kind="fz59_appeal"),
    PolicyRule(POS, source="feedback_platform", kind="pos_message"),
    PolicyRule(PolicyTerms("catch_all"), position=1000),
]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VLAT)


def facts(**kw: str | bool) -> TicketFacts:
    base: dict[str, str | bool] = {
        "source": "api",
        "kind": "direct_request",
        "category": "roads",
        "priority": "normal",
    }
    return TicketFacts(**(base | kw))  # type: ignore[arg-type]


class TestMatching:
    def test_most_specific_wins_whatever_the_order(self) -> None:
        rule = match_policy(reversed(RULES), facts(source="incident_management", priority="high"))
        assert rule is not None and rule.terms.name == "im_high"
        rule = match_policy(RULES, facts(source="incident_management", priority="low"))
        assert rule is not None and rule.terms.name == "im_other"

    def test_catch_all_and_no_match(self) -> None:
        assert match_policy(RULES, facts()).terms.name == "catch_all"  # type: ignore[union-attr]
        assert match_policy(RULES[:2], facts()) is None

    def test_equal_specificity_takes_the_lowest_position(self) -> None:
        a = PolicyRule(PolicyTerms("a"), position=20, category="roads")
        b = PolicyRule(PolicyTerms("b"), position=10, priority="normal")
        assert match_policy([a, b], facts()).terms.name == "b"  # type: ignore[union-attr]

    def test_fast_track_condition(self) -> None:
        fast = PolicyRule(PolicyTerms("fast"), source="feedback_platform", fast_track=True)
        slow = PolicyRule(PolicyTerms("slow"), source="feedback_platform")
        pos = {"source": "feedback_platform", "kind": "pos_message"}
        chosen = match_policy([fast, slow], facts(**pos, fast_track=True))
        assert chosen is not None and chosen.terms.name == "fast"
        chosen = match_policy([fast, slow], facts(**pos))
        assert chosen is not None and chosen.terms.name == "slow"

    def test_terms_survive_a_json_round_trip(self) -> None:
        assert PolicyTerms.from_json(FZ59.to_json()) == FZ59


class TestDeadlines:
    def test_im_high_friday_17(self) -> None:
        d = initial_deadlines(CAL, IM_HIGH, start=local(2025, 11, 28, 17, 0))
        assert d.first_response_due_at == local(2025, 12, 1, 12, 0)
        assert d.first_response_risk_at == local(2025, 12, 1, 11, 0)  # 3 of 4 working hours
        # Provisional final-answer date: 7 working days after the latest first answer.
        assert d.resolution_due_at == local(2025, 12, 10, 12, 0)

    def test_interim_answer_opens_the_final_window(self) -> None:
        d = initial_deadlines(CAL, IM_OTHER, start=local(2026, 2, 2, 10, 0))
        after = after_interim_answer(CAL, IM_OTHER, d, answered_at=local(2026, 2, 2, 12, 0))
        assert after.resolution_due_at == local(2026, 2, 11, 12, 0)
        assert after.first_response_due_at == d.first_response_due_at

    def test_pos_own_answer_at_wins(self) -> None:
        planned = local(2026, 2, 20, 18, 0)
        d = initial_deadlines(CAL, POS, start=local(2026, 2, 2, 10, 0), source_due=planned)
        assert d.resolution_due_at == planned
        d = initial_deadlines(CAL, POS, start=local(2026, 2, 2, 10, 0))
        assert d.resolution_due_at == local(2026, 2, 12, 23, 59, 59)

    def test_fz59_legal_and_control_dates_and_extension(self) -> None:
        d = initial_deadlines(CAL, FZ59, start=local(2025, 12, 2, 12, 0))
        assert d.registration_due_at == local(2025, 12, 5, 23, 59, 59)
        assert d.first_response_due_at is None and d.first_response_risk_at is None
        assert d.legal_due_at == d.resolution_due_at == local(2026, 1, 12, 23, 59, 59)
        assert d.control_due_at == local(2025, 12, 30, 23, 59, 59)
        ext = initial_deadlines(CAL, FZ59, start=local(2025, 12, 2, 12, 0), extension_days=30)
        # 31 Jan 2026 is a Saturday: legal → Monday 2 Feb, control → Friday 30 Jan.
        assert ext.legal_due_at == local(2026, 2, 2, 23, 59, 59)
        assert ext.control_due_at == local(2026, 1, 30, 23, 59, 59)

    def test_pause_moves_working_deadlines_by_office_time_only(self) -> None:
        d = initial_deadlines(CAL, IM_HIGH, start=local(2026, 2, 2, 10, 0))
        assert d.first_response_due_at == local(2026, 2, 2, 14, 0)
        moved = resumed(
            CAL, IM_HIGH, d, held_from=local(2026, 2, 2, 11, 0), now=local(2026, 2, 3, 10, 0)
        )
        # 3 working hours were left at 11:00 Monday; they run from 10:00 Tuesday.
        assert moved.first_response_due_at == local(2026, 2, 3, 13, 0)

    def test_pause_does_not_move_the_legal_date(self) -> None:
        d = initial_deadlines(CAL, FZ59, start=local(2026, 3, 10, 12, 0))
        moved = resumed(
            CAL, FZ59, d, held_from=local(2026, 3, 11, 12, 0), now=local(2026, 3, 21, 12, 0)
        )
        assert (
            moved.legal_due_at == d.legal_due_at and moved.resolution_due_at == d.resolution_due_at
        )
        # Registration is a legal term too: the law has no pause.
        assert moved.registration_due_at == d.registration_due_at is not None

    def test_next_check_is_the_earliest_pending_threshold(self) -> None:
        d = initial_deadlines(CAL, IM_HIGH, start=local(2026, 2, 2, 10, 0))
        assert next_check(d, first_responded_at=None) == d.first_response_risk_at
        in_time = local(2026, 2, 2, 11, 0)
        assert next_check(d, first_responded_at=in_time) == d.resolution_risk_at
        late = local(2026, 2, 2, 15, 0)
        assert next_check(d, first_responded_at=late) == d.first_response_risk_at


class TestRegistration:
    """59-ФЗ art. 8 p. 2: registered within 3 days of receipt, its own target (issue 18)."""

    def test_last_day_on_new_year_holidays_moves_to_12_january(self) -> None:
        # Day 3 after 29 Dec 2025 is 1 Jan 2026; 1-8 Jan are holidays, 9 Jan a substituted day
        # off, 10-11 Jan a weekend: the first working day is Monday 12 Jan (art. 193).
        d = initial_deadlines(CAL, FZ59, start=local(2025, 12, 29, 15, 0))
        assert d.registration_due_at == local(2026, 1, 12, 23, 59, 59)

    def test_last_day_on_a_saturday_moves_to_monday(self) -> None:
        d = initial_deadlines(CAL, FZ59, start=local(2026, 11, 25, 9, 30))
        assert d.registration_due_at == local(2026, 11, 30, 23, 59, 59)  # not Sat 28 Nov

    def test_last_day_on_a_working_day_stays(self) -> None:
        d = initial_deadlines(CAL, FZ59, start=local(2026, 3, 10, 12, 0))
        assert d.registration_due_at == local(2026, 3, 13, 23, 59, 59)  # Friday

    def test_counted_in_the_city_time_zone(self) -> None:
        # 23:30 UTC on Wednesday 25 Nov is already Thursday 26 Nov in Vladivostok: day 3 is
        # Sunday 29 Nov → Monday 30 Nov.
        start = datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("UTC"))
        d = initial_deadlines(CAL, FZ59, start=start)
        assert d.registration_due_at == local(2026, 11, 30, 23, 59, 59)

    def test_registration_is_not_a_first_response(self) -> None:
        d = initial_deadlines(CAL, FZ59, start=local(2026, 2, 2, 10, 0))
        assert d.first_response_due_at is None
        # Registered when made: only the resolution thresholds remain for the sweeper.
        registered = local(2026, 2, 2, 10, 0)
        assert next_check(d, first_responded_at=None, registered_at=registered) == (
            d.resolution_risk_at
        )

    def test_late_registration_keeps_the_due_date_for_the_sweeper(self) -> None:
        d = initial_deadlines(CAL, FZ59, start=local(2025, 10, 1, 10, 0))
        late = local(2026, 2, 2, 10, 0)
        assert next_check(d, first_responded_at=None, registered_at=late) == (d.registration_due_at)
        # Not registered yet (registration by hand): the due date is watched.
        assert next_check(d, first_responded_at=None, registered_at=None) == (d.registration_due_at)

    def test_old_snapshots_read_their_59fz_first_response_as_registration(self) -> None:
        old = {
            "name": "fz59_appeal",
            "first_response": {"value": 3, "unit": "calendar_days"},
            "resolution": {"value": 30, "unit": "calendar_days"},
            "legal_dates": True,
            "max_extension_days": 30,
        }
        terms = PolicyTerms.from_json(old)
        assert terms.first_response is None
        assert terms.registration == Term(3, Unit.calendar_days)
        other = PolicyTerms.from_json({"name": "x", "first_response": old["first_response"]})
        assert other.first_response == Term(3, Unit.calendar_days) and other.registration is None
