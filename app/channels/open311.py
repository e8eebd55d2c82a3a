"""Open311 GeoReport v2: services from the taxonomy, requests in and out (spec field names).

Assumptions: ``service_request_id`` is the ticket's public number; ``GET requests`` lists only
requests that came in through Open311 (other channels' appeals are not open data), and its
text is scrubbed of phones and e-mails since the endpoint needs no key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import api_keys as auth
from app.access.personal_data import scrub_text
from app.config import Settings
from app.errors import AppError
from app.incidents import surge
from app.intake.ingestion import ingest_draft
from app.models.common import OPEN_STATUSES, Channel, Kind, Role, Source
from app.models.directory import Category, Department
from app.models.drafts import ApplicantDraft, TicketDraft
from app.models.incidents import IncidentDelivery
from app.models.tickets import Ticket, TicketAnswer

MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)

_STATUS_NOTES = {
    "new": "Принято, ожидает разбора",
    "routed": "Передано в ответственный отдел",
    "in_progress": "В работе",
    "on_hold": "Приостановлено",
    "answered": "Ответ дан",
    "closed": "Закрыто",
    "rejected": "Отклонено",
    "merged": "Объединено с другим обращением",
}


class Open311Error(AppError):
    """An error rendered in the GeoReport v2 format: ``[{code, description}]``."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    group: str
    description: str


async def list_services(session: AsyncSession) -> list[Service]:
    """The active normalised categories, grouped by the department that handles them."""
    departments = {d.code: d.name for d in (await session.exec(select(Department))).all()}
    rows = await session.exec(
        select(Category).where(col(Category.active)).order_by(col(Category.code))
    )
    services = []
    for category in rows.all():
        group = departments.get(category.department_code or "", "Прочее")
        services.append(Service(category.code, category.name, group, category.name))
    return sorted(services, key=lambda s: (s.group, s.code))


async def get_service(session: AsyncSession, code: str) -> Service:
    for service in await list_services(session):
        if service.code == code:
            return service
    raise Open311Error(404, f"service_code {code} not found")


def check_jurisdiction(settings: Settings, jurisdiction_id: str | None) -> None:
    wanted = settings.open311_jurisdiction_id
    if jurisdiction_id and wanted and jurisdiction_id != wanted:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction_id} not found")


def _float(form: dict[str, str], name: str) -> float | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None


def _source_id(key_id: int | None, form: dict[str, str]) -> str:
    # Stable: the same submission retried by a client (same key, device and content) is one
    # ticket, not two.
    parts = [str(key_id)] + [
        form.get(name, "")
        for name in (
            "device_id",
            "account_id",
            "service_code",
            "lat",
            "long",
            "address_string",
            "address_id",
            "description",
            "email",
            "phone",
            "media_url",
        )
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


async def create_request(
    session: AsyncSession, form: dict[str, str], *, settings: Settings, now: datetime
) -> Ticket:
    """POST requests: check the key and the fields, then ingest as an ``open311_request``."""
    check_jurisdiction(settings, form.get("jurisdiction_id"))
    try:
        principal = await auth.authenticate(session, form.get("api_key"))
    except AppError:
        raise Open311Error(403, "api_key was not provided or is invalid") from None
    if principal.role != Role.integration:
        raise Open311Error(403, "api_key must belong to an integration")
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    service = await get_service(session, code)
    lat, lon = _float(form, "lat"), _float(form, "long")
    address = (form.get("address_string") or "").strip()[:1000] or None
    if (lat is None or lon is None) and not address and not form.get("address_id"):
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    if (lat is not None and not -90 <= lat <= 90) or (lon is not None and not -180 <= lon <= 180):
        raise Open311Error(400, "lat/long out of range")
    description = (form.get("description") or "").strip()[: settings.max_text_length]

    def field(name: str, limit: int) -> str | None:
        return (form.get(name) or "").strip()[:limit] or None

    first, last = field("first_name", 120), field("last_name", 120)
    applicant = ApplicantDraft(
        full_name=" ".join(p for p in (first, last) if p) or None,
        name=first,
        surname=last,
        email=field("email", 254),
        phone=field("phone", 40),
    )
    media = field("media_url", 1000)
    draft = TicketDraft(
        source=Source.open311.value,
        source_id=_source_id(principal.key_id, form),
        kind=Kind.open311_request.value,
        channel=Channel.web.value,
        text=description or service.name,
        category_code=service.code,
        source_category=service.code,
        address=address,
        lat=lat,
        lon=lon,
        applicant=applicant,
        attachments=[{"url": media}] if media else [],
        extra={"open311": {"device_id": field("device_id", 200)}},
    )
    result = await ingest_draft(session, draft, actor=principal.actor, now=now)
    # A report of an open mass incident joins it now and carries its answer at once.
    await surge.join_new_tickets(session, [result.ticket.id])
    return result.ticket


def _parse_dt(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} must carry a time zone offset")
    return parsed


@dataclass(frozen=True)
class RequestQuery:
    ids: list[str]
    service_codes: list[str]
    statuses: list[str]
    start: datetime | None
    end: datetime | None
    limit: int
    page: int


def parse_query(params: dict[str, str], *, now: datetime) -> RequestQuery:
    """The spec's filters; without ids the window is the last 90 days, at most 1000 rows."""
    ids = [p.strip() for p in params.get("service_request_id", "").split(",") if p.strip()]
    codes = [p.strip() for p in params.get("service_code", "").split(",") if p.strip()]
    statuses = [p.strip() for p in params.get("status", "").split(",") if p.strip()]
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status must be open or closed")
    start, end = (
        _parse_dt(params.get("start_date"), "start_date"),
        _parse_dt(params.get("end_date"), "end_date"),
    )
    if not ids:
        if start is None and end is None:
            start = now - DEFAULT_WINDOW
        elif start is None and end is not None:
            start = end - DEFAULT_WINDOW
    try:
        limit = int(params.get("page_size") or params.get("limit") or MAX_REQUESTS)
        page = int(params.get("page") or 1)
    except ValueError:
        raise Open311Error(400, "page and page_size must be integers") from None
    if limit < 1 or page < 1:
        raise Open311Error(400, "page and page_size must be positive")
    return RequestQuery(ids, codes, statuses, start, end, min(limit, MAX_REQUESTS), page)


async def find_requests(session: AsyncSession, query: RequestQuery) -> list[Ticket]:
    """Open311 requests matching the query, newest first."""
    stmt = select(Ticket).where(Ticket.source == Source.open311.value)
    if query.ids:
        stmt = stmt.where(col(Ticket.number).in_(query.ids))
    if query.service_codes:
        stmt = stmt.where(col(Ticket.category_code).in_(query.service_codes))
    if query.start is not None:
        stmt = stmt.where(Ticket.created_at >= query.start)
    if query.end is not None:
        stmt = stmt.where(Ticket.created_at <= query.end)
    open_values = [s.value for s in OPEN_STATUSES]
    if query.statuses == ["open"]:
        stmt = stmt.where(col(Ticket.status).in_(open_values))
    elif query.statuses == ["closed"]:
        stmt = stmt.where(col(Ticket.status).not_in(open_values))
    stmt = stmt.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
    stmt = stmt.offset((query.page - 1) * query.limit).limit(query.limit)
    return list((await session.exec(stmt)).all())


async def get_request(session: AsyncSession, request_id: str) -> Ticket:
    ticket = (
        await session.exec(
            select(Ticket).where(Ticket.number == request_id, Ticket.source == Source.open311.value)
        )
    ).first()
    if ticket is None:
        raise Open311Error(404, f"service_request_id {request_id} not found")
    return ticket


async def _latest_answers(session: AsyncSession, ticket_ids: list[int]) -> dict[int, str]:
    """Each ticket's latest answer text, when that answer was a mass incident's one message.

    The endpoint is public (GeoReport v2 needs no key), so only what was written for the
    public is shown: an incident's message. A department's own answer to one citizen may name
    him or his neighbours; it says «Ответ дан» and the citizen reads it where he wrote."""
    if not ticket_ids:
        return {}
    rows = await session.exec(
        select(TicketAnswer.ticket_id, TicketAnswer.text, IncidentDelivery.message_id)
        .outerjoin(IncidentDelivery, col(IncidentDelivery.answer_id) == col(TicketAnswer.id))
        .where(col(TicketAnswer.ticket_id).in_(ticket_ids))
        .order_by(col(TicketAnswer.ticket_id), col(TicketAnswer.id).desc())
        .distinct(col(TicketAnswer.ticket_id))
    )
    return {ticket_id: text for ticket_id, text, message in rows.all() if message is not None}


async def describe_requests(
    session: AsyncSession, tickets: list[Ticket], *, settings: Settings
) -> list[dict[str, Any]]:
    """Tickets as GeoReport v2 service requests (no personal data)."""
    departments = {d.code: d.name for d in (await session.exec(select(Department))).all()}
    categories = {c.code: c.name for c in (await session.exec(select(Category))).all()}
    tz = settings.tz

    def when(value: datetime | None) -> str | None:
        return value.astimezone(tz).replace(microsecond=0).isoformat() if value else None

    answers = await _latest_answers(session, [t.id for t in tickets if t.id is not None])
    out = []
    for t in tickets:
        notes = _STATUS_NOTES.get(t.status, t.status)
        if t.status == "rejected" and t.status_reason:
            notes = f"{notes}: {scrub_text(t.status_reason)}"
        elif t.id in answers:
            # A mass incident's one message itself, not only that there was one: the client
            # reads its request to hear it (``_latest_answers``: nothing written to one person).
            notes = f"{notes}: {scrub_text(answers[t.id])}"
        media = next((a.get("url") for a in t.attachments if a.get("url")), None)
        out.append(
            {
                "service_request_id": t.number,
                "status": "open" if t.status in OPEN_STATUSES else "closed",
                "status_notes": notes,
                "service_name": categories.get(t.category_code, t.category_code),
                "service_code": t.category_code,
                "description": scrub_text(t.text),
                "agency_responsible": departments.get(t.department_code, t.department_code),
                "service_notice": "",
                "requested_datetime": when(t.created_at),
                "updated_datetime": when(t.updated_at),
                "expected_datetime": when(t.resolution_due_at),
                "address": t.address,
                "address_id": None,
                "zipcode": None,
                "lat": t.lat,
                "long": t.lon,
                "media_url": media,
            }
        )
    return out
