"""The state machine as a pure function."""

import pytest

from app.errors import IllegalTransition
from app.models.common import Status
from app.tickets.lifecycle import check_transition, needs_reason

# The legal moves, written out here (docs/API.md "Move along the statuses") rather than read
# from the table under test, so that a move added or dropped there fails a test.
LEGAL = {
    "new": {"routed", "in_progress", "on_hold", "answered", "rejected", "merged"},
    "routed": {"in_progress", "on_hold", "answered", "rejected", "merged"},
    "in_progress": {"on_hold", "answered", "rejected", "merged"},
    "on_hold": {"in_progress", "answered", "rejected"},
    "answered": {"closed", "in_progress"},  # reopen
    "closed": {"in_progress"},  # reopen
    "rejected": {"routed"},  # a rejection made by mistake is routed again
    "merged": {"routed"},  # unmerge
}
PAIRS = [(a, b) for a in Status for b in Status]


def accepted(current: Status, target: Status) -> bool:
    try:
        check_transition(current, target)
    except IllegalTransition:
        return False
    return True


def test_every_status_is_covered() -> None:
    assert set(LEGAL) == {s.value for s in Status}


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_pair(current: Status, target: Status) -> None:
    assert accepted(current, target) is (target.value in LEGAL[current.value])


@pytest.mark.parametrize("current", list(Status), ids=[s.value for s in Status])
def test_refusal_lists_the_allowed_targets(current: Status) -> None:
    target = next(s for s in Status if s.value not in LEGAL[current.value])  # e.g. itself
    with pytest.raises(IllegalTransition) as info:
        check_transition(current, target)
    allowed = sorted(LEGAL[current.value])
    assert info.value.status == 409
    assert info.value.extra == {"current": current.value, "allowed": allowed}
    assert str(info.value) == (
        f"cannot move a ticket from '{current}' to '{target}'; allowed: " + ", ".join(allowed)
    )


def test_design_edges_present() -> None:
    # The lifecycle of DESIGN.md: new → routed → in_progress → answered → closed, plus reopen.
    edges = [
        ("new", "routed"),
        ("routed", "in_progress"),
        ("in_progress", "answered"),
        ("answered", "closed"),
        ("answered", "in_progress"),
        ("closed", "in_progress"),
        ("in_progress", "on_hold"),
        ("on_hold", "in_progress"),
    ]
    assert [(a, b) for a, b in edges if not accepted(Status(a), Status(b))] == []


def test_reasons() -> None:
    assert needs_reason(Status.in_progress, Status.on_hold)
    assert needs_reason(Status.routed, Status.rejected)
    assert needs_reason(Status.closed, Status.in_progress)  # reopen
    assert not needs_reason(Status.routed, Status.in_progress)
