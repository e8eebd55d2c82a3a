"""The ticket state machine (pure)."""

from __future__ import annotations

from app.errors import IllegalTransition
from app.models.common import Status

S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.new: frozenset({S.routed, S.in_progress, S.on_hold, S.answered, S.rejected, S.merged}),
    S.routed: frozenset({S.in_progress, S.on_hold, S.answered, S.rejected, S.merged}),
    S.in_progress: frozenset({S.on_hold, S.answered, S.rejected, S.merged}),
    S.on_hold: frozenset({S.in_progress, S.answered, S.rejected}),
    # Reopen: after a low rating or a new fact, an answered or closed ticket goes back to work.
    S.answered: frozenset({S.closed, S.in_progress}),
    S.closed: frozenset({S.in_progress}),
    # A rejection made by mistake is undone by routing the ticket again.
    S.rejected: frozenset({S.routed}),
    # Unmerge: a wrongly linked duplicate becomes its own piece of work again.
    S.merged: frozenset({S.routed}),
}

# Targets that need a written reason on the timeline.
REASON_REQUIRED = frozenset({S.on_hold, S.rejected})


def allowed_from(current: Status) -> list[str]:
    """The statuses reachable from ``current``, sorted for stable messages."""
    return sorted(s.value for s in TRANSITIONS[current])


def check_transition(current: Status, target: Status) -> None:
    """Raise ``IllegalTransition`` (listing the allowed targets) unless the move is legal."""
    if target not in TRANSITIONS[current]:
        allowed = allowed_from(current)
        raise IllegalTransition(
            f"cannot move a ticket from '{current}' to '{target}'; allowed: "
            + (", ".join(allowed) or "none"),
            current=current.value,
            allowed=allowed,
        )


def needs_reason(current: Status, target: Status) -> bool:
    """A reason is required to hold, reject, or reopen (answered/closed → in_progress)."""
    if target == S.in_progress:
        return current in (S.answered, S.closed)
    return target in REASON_REQUIRED
