"""A batch of new tickets made together ends as the same tickets made one by one.

The intake pipeline makes a batch's new tickets with one INSERT each for applicants and tickets
and one candidate search for duplicates (``app.tickets.creation``, ``app.dedup.candidates``).
Here the same appeals — residents' reports with repeats of one problem, a post without an
address, reports on the same street but other houses, other departments' problems at the same
house, a point near another report, an answered export row — are made one by one (each in its
own transaction, as the receipt used to) and then, on a clean database, in one batch; every
outcome that duplicate detection, routing and deadlines decide must be the same.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from app.intake.ingestion import create_items
from app.models.drafts import ApplicantDraft, TicketDraft
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Applicant, Ticket, TicketEvent
from app.tickets.creation import NewTicket

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 11:00 in Vladivostok

# (source id, category, text, address, point) — written as residents write.
APPEALS: list[tuple[str, str, str, str | None, tuple[float, float] | None]] = [
    ("0", "heating", "На улице Ленина во всех домах холодные батареи", "ул. Ленина", None),
    (
        "1",
        "heating",
        "В квартире холодно, батареи еле тёплые, дети болеют",
        "ул. Ленина, д. 12",
        None,
    ),
    ("2", "heating", "батареи холодные уже неделю!!! ул ленина 12", "ул. Ленина, д. 12", None),
    (
        "3",
        "roads",
        "Огромная яма на дороге у дома, машины объезжают по тротуару",
        "ул. Ленина, д. 12",
        None,
    ),
    ("4", "heating", "Ленина 12 опять нет отопления в подъезде, сколько можно", None, None),
    (
        "5",
        "heating",
        "Холодные батареи в квартире, звонили в УК никто не пришёл",
        "ул. Ленина, д. 14",
        None,
    ),
    (
        "6",
        "waste",
        "Мусор не вывозят с площадки у дома, контейнеры переполнены",
        "ул. Садовая, д. 3",
        (44.6101, 132.8101),
    ),
    (
        "7",
        "waste",
        "контейнеры переполнены мусор по всей площадке садовая 3",
        "ул. Садовая, д. 3",
        (44.61012, 132.81013),
    ),
    ("8", "waste", "Не вывозят мусор третий день", None, (44.61015, 132.81009)),
    ("9", "other", "Собаки бегают стаей у школы, страшно за детей", "ул. Садовая, д. 3", None),
    (
        "10",
        "other",
        "стая бродячих собак у школы на садовой 3, кидаются на детей",
        "ул. Садовая, д. 3",
        None,
    ),
    ("11", "heating", "Батареи холодные, в квартире 15 градусов", "ул. Ленина, д. 12", None),
    ("12", "water", "Нет горячей воды с утра", "ул. Цементная, д. 7", None),
]


def _drafts() -> list[NewTicket]:
    new = []
    for n, (sid, category, words, address, point) in enumerate(APPEALS):
        at = T0 + timedelta(minutes=7 * n)
        draft = TicketDraft(
            source="feedback_platform",
            source_id=sid,
            kind="pos_message",
            channel="gosuslugi",
            text=words,
            category_code=category,
            address=address,
            lat=point[0] if point else None,
            lon=point[1] if point else None,
            created_at=at,
            applicant=ApplicantDraft(full_name=f"Житель {sid}", phone=f"+7924000000{n}"),
        )
        new.append(NewTicket(draft, "connector:feedback_platform", at + timedelta(seconds=30)))
    # An export row first seen already answered: no duplicate check, its dates kept.
    answered = TicketDraft(
        source="feedback_platform",
        source_id="13",
        kind="pos_message",
        channel="gosuslugi",
        text="Яма на дороге у дома",
        category_code="roads",
        address="ул. Ленина, д. 12",
        status="answered",
        source_updated_at=T0 + timedelta(hours=3),
        created_at=T0 - timedelta(days=2),
    )
    new.append(NewTicket(answered, "import:feedback_platform", T0 + timedelta(hours=4)))
    return new


async def _outcome(db) -> dict[str, Any]:
    """What the tickets ended as, by source id (ids and numbers differ between the runs)."""
    async with db.sessionmaker() as session:
        tickets = (await session.exec(select(Ticket).order_by(col(Ticket.id)))).all()
        sid = {t.id: t.source_id for t in tickets}
        suggestions = (await session.exec(select(DuplicateSuggestion))).all()
        events = (await session.exec(select(TicketEvent).order_by(col(TicketEvent.id)))).all()
        applicants = {a.id: a.full_name for a in (await session.exec(select(Applicant))).all()}
    fields = (
        "status",
        "department_code",
        "district_code",
        "category_code",
        "address_key",
        "sla_policy",
        "resolution_due_at",
        "first_response_due_at",
        "registered_at",
        "answered_at",
        "closed_at",
        "created_at",
    )
    return {
        "tickets": {
            t.source_id: {
                **{f: getattr(t, f) for f in fields},
                "duplicate_of": sid.get(t.duplicate_of_id),
                "repeat_of": sid.get(t.repeat_of_id),
                "applicant": applicants.get(t.applicant_id),
            }
            for t in tickets
        },
        "suggestions": sorted(
            (sid[s.ticket_id], sid[s.candidate_id], round(s.score, 6), s.status)
            for s in suggestions
        ),
        "timelines": {
            t.source_id: [
                (e.type, e.actor, _plain(e.data, sid)) for e in events if e.ticket_id == t.id
            ]
            for t in tickets
        },
    }


def _plain(data: dict[str, Any], sid: dict[int | None, str]) -> dict[str, Any]:
    """An event's data with ticket ids as source ids."""
    out = dict(data)
    for key in ("candidate", "duplicate", "duplicate_of", "repeat_of"):
        if key in out:
            out[key] = sid.get(out[key])
    return out


async def test_a_batch_ends_as_one_by_one(db):
    for new in _drafts():
        async with db.sessionmaker() as session:
            await create_items(session, [new])
            await session.commit()
    one_by_one = await _outcome(db)
    merged = [s for s, t in one_by_one["tickets"].items() if t["status"] == "merged"]
    # The appeals are built so that detection has work to do, in every way it can.
    assert len(merged) >= 3, one_by_one["tickets"]
    assert one_by_one["suggestions"], "some pairs are only likely duplicates"
    assert one_by_one["tickets"]["13"]["status"] == "answered"

    await db.test_reset.reset()
    async with db.sessionmaker() as session:
        await create_items(session, _drafts())
        await session.commit()
    batch = await _outcome(db)

    assert batch["tickets"] == one_by_one["tickets"]
    assert batch["suggestions"] == one_by_one["suggestions"]
    assert batch["timelines"] == one_by_one["timelines"]
