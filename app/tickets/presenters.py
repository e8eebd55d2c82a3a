"""Turning stored rows into API schemas, masking personal data by role."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from datetime import datetime
from typing import Any

from app.access.api_keys import Principal
from app.access.personal_data import mask_address, mask_email, mask_name, mask_phone
from app.models.common import OPEN_STATUSES, Channel, Kind, Priority, Source, Status
from app.models.schemas import ApplicantPublic, EventPublic, TicketPublic
from app.models.tickets import Applicant, Ticket, TicketEvent
from app.tickets.events import LINK_KEYS


def _shown_name(
    full_name: str | None, surname: str | None, name: str | None, patronymic: str | None
) -> str | None:
    return full_name or " ".join(p for p in (surname, name, patronymic) if p) or None


def _applicant_full(
    full_name: str | None,
    surname: str | None,
    name: str | None,
    patronymic: str | None,
    email: str | None,
    phone: str | None,
    post_address: str | None,
    profile_url: str | None,
) -> dict[str, Any]:
    return {
        "full_name": _shown_name(full_name, surname, name, patronymic),
        "email": email,
        "phone": phone,
        "post_address": post_address,
        "profile_url": profile_url,
        "masked": False,
    }


def _applicant_masked(
    full_name: str | None,
    surname: str | None,
    name: str | None,
    patronymic: str | None,
    email: str | None,
    phone: str | None,
    post_address: str | None,
    profile_url: str | None,
) -> dict[str, Any]:
    return {
        "full_name": mask_name(_shown_name(full_name, surname, name, patronymic)),
        "email": mask_email(email),
        "phone": mask_phone(phone),
        "post_address": mask_address(post_address),
        "profile_url": None,
        "masked": True,
    }


ApplicantValues = Callable[..., dict[str, Any]]


def applicant_function(*, full: bool) -> ApplicantValues:
    """``applicant_values`` for one role, chosen once (a page of 50 rows asks once)."""
    return _applicant_full if full else _applicant_masked


def applicant_values(
    full_name: str | None,
    surname: str | None,
    name: str | None,
    patronymic: str | None,
    email: str | None,
    phone: str | None,
    post_address: str | None,
    profile_url: str | None,
    *,
    full: bool,
) -> dict[str, Any]:
    """An applicant's public fields, masked unless ``full`` (the one place masking is chosen:
    the ticket schema and the pages of app.tickets.pages alike)."""
    return applicant_function(full=full)(
        full_name, surname, name, patronymic, email, phone, post_address, profile_url
    )


def applicant_public(applicant: Applicant | None, *, full: bool) -> ApplicantPublic | None:
    if applicant is None or applicant.purged_at is not None:
        return None
    values = applicant_values(
        applicant.full_name,
        applicant.surname,
        applicant.name,
        applicant.patronymic,
        applicant.email,
        applicant.phone,
        applicant.post_address,
        applicant.profile_url,
        full=full,
    )
    return ApplicantPublic.model_construct(**values)


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    due = ticket.resolution_due_at
    return due is not None and Status(ticket.status) in OPEN_STATUSES and due < now


def linked_ids(tickets: Iterable[Ticket]) -> set[int]:
    """The other tickets these tickets name (main, repeated): ask ``visibility.seen_ids``."""
    return {i for t in tickets for i in (t.duplicate_of_id, t.repeat_of_id) if i is not None}


def ticket_public(
    ticket: Ticket,
    applicant: Applicant | None,
    principal: Principal,
    *,
    now: datetime,
    links_seen: Container[int],
) -> TicketPublic:
    """``links_seen``: the linked tickets the caller sees; a link to any other is left out."""
    assert ticket.id is not None
    # Built without validation: every value comes from a row that was validated when it was
    # written; the enums are converted here (an unknown stored value still fails loudly).
    # Validating 50 wide rows again was a third of a list page's CPU (docs/PERFORMANCE.md).
    return TicketPublic.model_construct(
        id=ticket.id,
        number=ticket.number,
        source=Source(ticket.source),
        source_id=ticket.source_id,
        source_url=ticket.source_url,
        source_status=ticket.source_status,
        kind=Kind(ticket.kind),
        channel=Channel(ticket.channel),
        category=ticket.category_code,
        source_category=ticket.source_category,
        text=ticket.text,
        address=ticket.address,
        lat=ticket.lat,
        lon=ticket.lon,
        district=ticket.district_code,
        priority=Priority(ticket.priority),
        status=Status(ticket.status),
        status_reason=ticket.status_reason,
        redirect_to=ticket.redirect_to,
        department=ticket.department_code,
        assignee=ticket.assignee,
        attachments=ticket.attachments,
        applicant=applicant_public(applicant, full=principal.may_read_personal_data),
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        legal_due_at=ticket.legal_due_at,
        control_due_at=ticket.control_due_at,
        registration_due_at=ticket.registration_due_at,
        registered_at=ticket.registered_at,
        extension_count=ticket.extension_count,
        first_responded_at=ticket.first_responded_at,
        answered_at=ticket.answered_at,
        closed_at=ticket.closed_at,
        duplicate_of=ticket.duplicate_of_id if ticket.duplicate_of_id in links_seen else None,
        repeat_of=ticket.repeat_of_id if ticket.repeat_of_id in links_seen else None,
        reroute_count=ticket.reroute_count,
        bouncing=ticket.bouncing,
        overdue=is_overdue(ticket, now),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        version=ticket.version,
    )


def event_links(events: Iterable[TicketEvent]) -> set[int]:
    """The other tickets these events name: ask ``visibility.seen_ids``."""
    return {e.data[k] for e in events for k in LINK_KEYS if isinstance(e.data.get(k), int)}


def event_public(event: TicketEvent, *, links_seen: Container[int]) -> EventPublic:
    """An event; another ticket it names that the caller does not see reads as null."""
    assert event.id is not None
    data = {
        k: (None if k in LINK_KEYS and v is not None and v not in links_seen else v)
        for k, v in event.data.items()
    }
    return EventPublic(
        id=event.id,
        ticket_id=event.ticket_id,
        at=event.at,
        actor=event.actor,
        type=event.type,
        data=data,
    )
