"""Duplicates and repeats on real PostgreSQL: detection at creation, merge, answers, API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from app.models.drafts import ApplicantDraft
from app.models.outbox import OutboxMessage
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket, TicketAnswer
from app.tools.dedup_eval import score_links
from app.tools.simulators.routing_corpus import generate
from tests.support.builders import auth, make_key, make_ticket

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
POS = {"source": "feedback_platform", "kind": "pos_message", "channel": "gosuslugi"}
VK = {"source": "incident_management", "kind": "social_post", "channel": "vk"}


async def _get(db, ticket_id: int) -> Ticket:
    async with db.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def test_clear_duplicate_is_merged_keeping_its_source_and_citizen(db):
    main = await make_ticket(
        db, **POS, text="Огромная яма на дороге у дома 5", address="ул. Ленина, д. 5", now=NOW
    )
    dup = await make_ticket(
        db,
        **VK,
        text="На Ленина у пятого дома яма на дороге, пробил колесо",
        address="Ленина ул., 5",
        applicant=ApplicantDraft(full_name="Иван", profile_url="https://vk.com/id1"),
        now=NOW + timedelta(hours=3),
    )
    stored = await _get(db, dup.id)
    assert (stored.status, stored.duplicate_of_id) == ("merged", main.id)
    assert stored.source == "incident_management" and stored.applicant_id is not None
    assert stored.applicant_id != (await _get(db, main.id)).applicant_id


async def test_a_duplicate_in_another_department_is_suggested_not_merged(client, db):
    """Merging moves a ticket to the main one's department: a department's own ticket must
    not vanish from its view by itself (found by schemathesis' stateful run)."""
    main = await make_ticket(
        db, **POS, text="Огромная яма на дороге у дома 5", address="ул. Ленина, д. 5",
        department_code="zhkh", now=NOW,
    )  # fmt: skip
    dup = await make_ticket(
        db, **VK, text="На Ленина у пятого дома яма на дороге, пробил колесо",
        address="Ленина ул., 5", department_code="roads", now=NOW + timedelta(hours=3),
    )  # fmt: skip
    stored = await _get(db, dup.id)
    assert (stored.status, stored.department_code, stored.duplicate_of_id) == (
        "routed",
        "roads",
        None,
    )
    token = await make_key(db, "operator", "roads")
    r = await client.get(f"/api/v1/tickets/{dup.id}/events", headers=auth(token))
    assert r.status_code == 200
    events = r.json()
    # Roads does not see housing's ticket: the event stays, the other ticket is not named.
    (suggested,) = [e for e in events if e["type"] == "duplicate_suggested"]
    assert suggested["data"]["candidate"] is None
    r = await client.get("/api/v1/duplicate-suggestions", headers=auth(token))
    assert r.json() == []
    # The triage department decides across departments and sees both sides.
    triage = await make_key(db, "operator", "press")
    r = await client.get("/api/v1/duplicate-suggestions", headers=auth(triage))
    assert [(s["ticket_id"], s["candidate_id"]) for s in r.json()] == [(dup.id, main.id)]


async def test_answer_on_main_goes_to_every_merged_ticket_through_its_source(client, db):
    main = await make_ticket(
        db, **POS, text="Не вывозят мусор, контейнеры переполнены", address="ул. Советская, 12",
        category_code="waste", now=NOW,
    )  # fmt: skip
    dup = await make_ticket(
        db, **VK, text="Мусор не вывозят неделю, контейнеры переполнены", category_code="waste",
        address="улица Советская 12", now=NOW + timedelta(hours=1),
    )  # fmt: skip
    assert (await _get(db, dup.id)).status == "merged"
    token = await make_key(db, "operator", "blago")
    r = await client.post(
        f"/api/v1/tickets/{main.id}/answers",
        json={"text": "Мусор вывезен, график восстановлен", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    async with db.sessionmaker() as session:
        answers = (
            await session.exec(select(TicketAnswer).where(TicketAnswer.ticket_id == dup.id))
        ).all()
        assert [a.text for a in answers] == ["Мусор вывезен, график восстановлен"]
        outbox = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.ticket_id).in_([main.id, dup.id]))
            )
        ).all()
    targets = {(m.ticket_id, m.target) for m in outbox if m.kind == "answer"}
    assert targets == {(main.id, "feedback_platform"), (dup.id, "incident_management")}


async def test_likely_duplicate_is_suggested_then_merged_and_unmerged_by_api(client, db):
    """One problem named on one street, one report giving a house: alike, but a whole street
    is not one spot, so a person decides."""
    main = await make_ticket(
        db, **POS, text="Не работает светофор на перекрёстке", address="ул. Ленина", now=NOW
    )
    maybe = await make_ticket(
        db, **VK, text="Светофор у дома 9 мигает жёлтым третий день", address="Ленина ул, 9",
        now=NOW + timedelta(hours=2),
    )  # fmt: skip
    assert (await _get(db, maybe.id)).status != "merged"
    token = auth(await make_key(db, "operator", "roads"))
    r = await client.get("/api/v1/duplicate-suggestions", headers=token)
    assert r.status_code == 200
    [suggestion] = r.json()
    assert (suggestion["ticket_id"], suggestion["candidate_id"]) == (maybe.id, main.id)
    assert suggestion["score"] >= 0.55 and suggestion["reasons"]["place_by"] == "street"
    assert suggestion["reasons"]["problem"] == "same"

    into = {"into": main.id}
    r = await client.post(f"/api/v1/tickets/{maybe.id}/merge", json=into, headers=token)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["duplicate_of"]) == ("merged", main.id)
    r = await client.get("/api/v1/duplicate-suggestions?status=merged", headers=token)
    assert [s["id"] for s in r.json()] == [suggestion["id"]]

    r = await client.post(f"/api/v1/tickets/{maybe.id}/unmerge", json={}, headers=token)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["duplicate_of"]) == ("routed", None)
    r = await client.post(f"/api/v1/tickets/{maybe.id}/unmerge", json={}, headers=token)
    assert r.status_code == 422
    r = await client.post(f"/api/v1/tickets/{main.id}/merge", json=into, headers=token)
    assert r.status_code == 422


async def test_suggestion_can_be_dismissed(client, db):
    await make_ticket(db, **POS, text="Светофор не работает", address="ул. Ленина", now=NOW)
    await make_ticket(db, **VK, text="светофор на Ленина мигает", address="Ленина 9", now=NOW)
    token = auth(await make_key(db, "operator", "roads"))
    [suggestion] = (await client.get("/api/v1/duplicate-suggestions", headers=token)).json()
    r = await client.post(
        f"/api/v1/duplicate-suggestions/{suggestion['id']}/dismiss", headers=token
    )
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert (await client.get("/api/v1/duplicate-suggestions", headers=token)).json() == []


async def test_new_ticket_at_a_place_closed_recently_is_a_repeat(db):
    old = await make_ticket(db, text="Яма у дома 3", address="ул. Советская, 3", now=NOW)
    async with db.sessionmaker() as session:
        stored = await session.get(Ticket, old.id)
        assert stored is not None
        stored.status, stored.closed_at = "closed", NOW + timedelta(days=2)
        await session.commit()
    again = await make_ticket(
        db, text="Опять яма на том же месте", address="Советская улица, 3",
        now=NOW + timedelta(days=40),
    )  # fmt: skip
    stored = await _get(db, again.id)
    assert stored.repeat_of_id == old.id and stored.status == "routed"
    elsewhere = await make_ticket(
        db, text="Яма", address="ул. Советская, 30", now=NOW + timedelta(days=40)
    )
    assert (await _get(db, elsewhere.id)).repeat_of_id is None


async def test_corpus_through_the_database_keeps_precision_and_recall(db):
    """The same corpus check as the unit test, through create_from_draft and PostgreSQL."""
    corpus = generate(incidents=90, seed=5)
    key_of: dict[int, str] = {}
    for item in corpus:
        ticket = await make_ticket(
            db,
            source=item.source if item.source != "api" else "api",
            kind=item.kind,
            channel=item.channel,
            text=item.text,
            category_code=item.category,
            address=item.address,
            lat=item.lat,
            lon=item.lon,
            created_at=item.created_at,
            now=item.created_at,
            applicant=None,
        )
        assert ticket.id is not None
        key_of[ticket.id] = item.key
    async with db.sessionmaker() as session:
        rows = (await session.exec(select(Ticket.id, Ticket.duplicate_of_id))).all()
    merges = {key_of[i]: key_of[d] for i, d in rows if d is not None}
    report = score_links(corpus, merges, {})
    assert report.precision >= 0.9, report.lines()
    assert report.recall >= 0.7, report.lines()


async def test_source_categories_of_one_department_are_compared(db):
    """ПОС files heating under «Теплоснабжение», IM under «ЖКХ»: one problem, one house,
    two categories of the same department — still found as the same appeal."""
    main = await make_ticket(
        db, **POS, text="Отсутствует отопление в квартирах", address="ул. Советская, д. 12",
        category_code="heating", now=NOW,
    )  # fmt: skip
    dup = await make_ticket(
        db, **VK, text="Советская 12 батареи ледяные второй день!!", category_code="housing",
        now=NOW + timedelta(hours=5),
    )  # fmt: skip
    stored = await _get(db, dup.id)
    assert (stored.status, stored.duplicate_of_id) == ("merged", main.id)


async def test_an_uncategorised_report_meets_its_departments_categories(db):
    """A phone call recorded without a category and routed by its text to ЖКХ is compared
    with ЖКХ's categorised tickets, and not with another department's."""
    main = await make_ticket(
        db, **POS, text="Нет горячей воды", address="Садовая, 3", category_code="water", now=NOW
    )
    other_dept = await make_ticket(
        db, **POS, text="Нет горячей воды", address="Садовая, 3", category_code="roads", now=NOW
    )
    dup = await make_ticket(
        db, text="Садовая 3 горячую воду отключили и не дают", address="ул Садовая д 3",
        category_code="other", department_code="zhkh", now=NOW + timedelta(hours=1),
    )  # fmt: skip
    stored = await _get(db, dup.id)
    assert (stored.status, stored.duplicate_of_id) == ("merged", main.id)
    assert stored.duplicate_of_id != other_dept.id


async def test_a_59fz_appeal_is_suggested_never_merged_either_way(db):
    """A 59-ФЗ appeal's registration and legal term are owed to it alone: the same problem at
    the same house as a message is a suggestion for a person, whichever came first; two plain
    messages still merge."""
    appeal = {**POS, "kind": "fz59_appeal"}
    text = "Огромная яма на дороге у дома 5, машины бьют колёса"
    pairs = [(POS, appeal), (appeal, POS), (appeal, appeal), (POS, POS)]
    for n, (first, second) in enumerate(pairs):
        address = f"ул. Ленина, д. {10 + n}"
        main = await make_ticket(db, **first, text=text, address=address, now=NOW)
        later = await make_ticket(
            db, **second, text=text, address=address, now=NOW + timedelta(hours=1)
        )
        stored = await _get(db, later.id)
        if "fz59_appeal" in (first["kind"], second["kind"]):
            assert (stored.status, stored.duplicate_of_id) == ("routed", None), (first, second)
            async with db.sessionmaker() as session:
                suggested = (
                    await session.exec(
                        select(DuplicateSuggestion).where(DuplicateSuggestion.ticket_id == later.id)
                    )
                ).all()
            assert [s.candidate_id for s in suggested] == [main.id], (first, second)
        else:
            assert (stored.status, stored.duplicate_of_id) == ("merged", main.id)
