"""The preconditions of an operator's action on an incident: the ``If-Match`` version, the
status it is in, and an expected resolution time that is a real one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app.errors import Conflict, PreconditionFailed, ValidationFailed
from app.incidents.queries import etag
from app.models.incidents import Incident, IncidentStatus


def check_if_match(incident: Incident, if_match: str | None) -> None:
    if not if_match:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in wanted and etag(incident) not in wanted:
        raise PreconditionFailed(
            "the incident changed since you read it; read it again and retry",
            current_version=incident.version,
        )


# How far from now an expected resolution may be: a typo («0001-01-01», «2062») would show
# citizens and the console a date nobody meant.
EXPECTED_PAST = timedelta(days=1)
EXPECTED_AHEAD = timedelta(days=366)


def check_expected(value: datetime | None, now: datetime) -> None:
    if value is None:
        return
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not now - EXPECTED_PAST <= value <= now + EXPECTED_AHEAD:
        raise ValidationFailed(
            "expected_resolution_at must be at most a day in the past and a year ahead",
            field="expected_resolution_at",
        )


def touch(incident: Incident, now: datetime) -> None:
    incident.updated_at = now
    incident.version += 1


def require_status(incident: Incident, allowed: Sequence[IncidentStatus], doing: str) -> None:
    if incident.status not in allowed:
        raise Conflict(
            f"cannot {doing} an incident that is '{incident.status}'",
            current=incident.status,
            allowed_from=[s.value for s in allowed],
        )
