import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import col, func, select

from app.connectors.feedback_platform.inbound import FeedbackPlatformConnector
from app.connectors.incident_management.inbound import IncidentManagementConnector
from app.intake.ingestion import ingest_draft
from app.metrics import store as metrics_store
from app.models.tickets import Applicant, Ticket, TicketAnswer, TicketEvent
from tests.support.webhooks import encode, sample

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
ACTOR = "connector:feedback_platform"


def pos(**changes):
    body = sample("pos_message.json")
    body.update(changes)
    return body


def pos_draft(body):
    return FeedbackPlatformConnector().parse(encode(body))


async def ingest(db, draft, now=NOW):
    async with db.sessionmaker() as session:
        result = await ingest_draft(session, draft, actor=ACTOR, now=now)
        await session.commit()
    return result


async def events_of(db, ticket_id):
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(TicketEvent.id))
        )
        return list(rows.all())


async def received_total(db, source, channel):
    async with db.sessionmaker() as session:
        for name, labels, value in await metrics_store.read_all(session):
            if name == "appeals_tickets_received_total" and labels == {
                "source": source,
                "channel": channel,
            }:
                return value
    return 0


async def test_new_item_becomes_a_mapped_ticket(db):
    result = await ingest(db, pos_draft(pos()))
    ticket = result.ticket
    assert result.outcome == "created"
    assert (ticket.category_code, ticket.department_code) == ("waste", "blago")
    assert ticket.source_category == "Мусор / Контейнерные площадки"
    assert ticket.resolution_due_at == datetime(2026, 11, 28, 23, 3, 56, tzinfo=UTC)
    async with db.sessionmaker() as session:
        applicant = await session.get(Applicant, ticket.applicant_id)
    assert applicant is not None and applicant.phone == "+79240000000"
    assert await received_total(db, "feedback_platform", "gosuslugi") == 1


async def test_unknown_category_lands_in_the_fallback(db):
    body = pos(subjectName="Космодром", subsubjectName="Ракеты")
    result = await ingest(db, pos_draft(body))
    assert result.outcome == "created"
    assert result.ticket.category_code == "other"
    assert result.ticket.source_category == "Космодром / Ракеты"


async def test_same_snapshot_again_is_unchanged(db):
    first = await ingest(db, pos_draft(pos()))
    again = await ingest(db, pos_draft(pos()), now=NOW + timedelta(minutes=5))
    assert again.outcome == "unchanged"
    assert again.ticket.id == first.ticket.id
    assert again.ticket.version == first.ticket.version
    assert await received_total(db, "feedback_platform", "gosuslugi") == 1


async def test_newer_snapshot_updates_and_an_older_one_is_ignored(db):
    created = (await ingest(db, pos_draft(pos()))).ticket
    newer = pos(status="SEND_RESPONSE", description=pos()["description"] + ". Дополнение: и крысы")
    newer["history"].append(
        {
            "status": "SEND_RESPONSE",
            "statusText": "Отправлен ответ заявителю",
            "createdAt": "2026-11-20T00:30:00Z",
            "answer": {"answerType": "FINAL", "comment": "Мусор вывезен, график восстановлен."},
        }
    )
    updated = await ingest(db, pos_draft(newer), now=NOW + timedelta(hours=1))
    assert updated.outcome == "updated"
    assert updated.ticket.status == "answered"
    assert updated.ticket.text.endswith("и крысы")
    assert {"дополнение", "крыса"} <= set(updated.ticket.search_text.split())  # search lemmas
    assert updated.ticket.source_status == "SEND_RESPONSE"
    events = await events_of(db, created.id)
    by_type = {e.type: e for e in events}
    assert by_type["status_changed"].actor == ACTOR
    assert by_type["status_changed"].data["after"] == "answered"
    assert set(by_type["source_updated"].data["changes"]) >= {"source_status", "text"}
    async with db.sessionmaker() as session:
        answers = (await session.exec(select(TicketAnswer))).all()
    assert [(a.kind, a.delivery_status) for a in answers] == [("final", "in_source")]

    stale = await ingest(db, pos_draft(pos()), now=NOW + timedelta(hours=2))
    assert stale.outcome == "stale"
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, created.id)
    assert ticket is not None
    assert (ticket.status, ticket.source_status) == ("answered", "SEND_RESPONSE")
    assert ticket.text.endswith("и крысы")
    assert len(await events_of(db, created.id)) == len(events)

    repeat = await ingest(db, pos_draft(newer), now=NOW + timedelta(hours=3))
    assert repeat.outcome == "unchanged"
    async with db.sessionmaker() as session:
        count = (await session.exec(select(func.count()).select_from(TicketAnswer))).one()
    assert count == 1


async def test_source_rejection_with_addressee(db):
    body = pos(status="FORWARD_TO_PARENT")
    body["history"].append(
        {
            "status": "FORWARD_TO_PARENT",
            "statusText": "Передано в вышестоящую организацию",
            "createdAt": "2026-11-19T01:00:00Z",
            "forwardTo": {"name": "Министерство ЖКХ Приморского края"},
        }
    )
    ticket = (await ingest(db, pos_draft(body))).ticket
    assert ticket.status == "rejected"
    assert ticket.redirect_to == "Министерство ЖКХ Приморского края"


async def test_illegal_source_transition_is_recorded_not_applied(db):
    im = sample("im_incident.json")
    created = (await ingest(db, IncidentManagementConnector().parse(encode(im)))).ticket
    assert created.status == "routed"
    closed = im | {"status": "closed", "updated_at": "2026-11-19T12:00:00+10:00"}
    result = await ingest(db, IncidentManagementConnector().parse(encode(closed)))
    assert result.outcome == "updated"
    assert result.ticket.status == "routed"  # routed → closed is not a legal move
    assert result.changes["status_not_applied"] == {"current": "routed", "source": "closed"}


async def test_concurrent_ingestion_of_one_item_creates_one_ticket(db):
    draft = pos_draft(pos())

    async def one():
        async with db.sessionmaker() as session:
            result = await ingest_draft(session, draft, actor=ACTOR, now=NOW)
            await session.commit()
            return result.outcome

    outcomes = await asyncio.gather(*(one() for _ in range(12)))
    assert sorted(outcomes) == ["created"] + ["unchanged"] * 11
    async with db.sessionmaker() as session:
        count = (await session.exec(select(func.count()).select_from(Ticket))).one()
    assert count == 1
