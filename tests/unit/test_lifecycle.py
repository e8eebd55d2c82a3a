"""The state machine as a pure function."""

import pytest

from app.errors import IllegalTransition
from app.models.common import Status
from app.tickets.lifecycle import TRANSITIONS, allowed_from, check_transition, needs_reason

PAIRS = [(a, b) for a in Status for b in Status]


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair(current: Status, target: Status) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition) as info:
            check_transition(current, target)
        assert info.value.extra["allowed"] == allowed_from(current)


def test_design_edges_present() -> None:
    # The lifecycle of DESIGN.md: new → routed → in_progress → answered → closed, plus reopen.
    for a, b in [
        ("new", "routed"),
        ("routed", "in_progress"),
        ("in_progress", "answered"),
        ("answered", "closed"),
        ("answered", "in_progress"),
        ("closed", "in_progress"),
        ("in_progress", "on_hold"),
        ("on_hold", "in_progress"),
    ]:
        check_transition(Status(a), Status(b))


def test_reasons() -> None:
    assert needs_reason(Status.in_progress, Status.on_hold)
    assert needs_reason(Status.routed, Status.rejected)
    assert needs_reason(Status.closed, Status.in_progress)  # reopen
    assert not needs_reason(Status.routed, Status.in_progress)
