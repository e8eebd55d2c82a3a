"""ССТУ.РФ reporting over HTTP on a seeded November 2026: the month's documents, statistics,
a transferred appeal with its addressee, an appeal with two questions, and 59-ФЗ appeals that
cannot be closed without an outcome. Expectations come from tests/support/sstu_month.py,
written by hand, never from the report code."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from datetime import UTC, datetime

import jsonschema_rs
import pytest
from sqlmodel import select

from app.connectors.sstu.document import SCHEMA_PATH
from app.intake.ingestion import ingest_draft
from app.models.drafts import TicketDraft
from app.models.outbox import OutboxMessage
from app.models.tickets import TicketEvent
from tests.support.builders import auth, make_key, make_ticket
from tests.support.sstu_month import (
    CITY_ID,
    MONTH,
    ROSPOTREB,
    ROSPOTREB_ID,
    VLAD,
    by_section,
    by_status,
    close,
    expected_questions,
    local,
    make_month,
)

VALIDATOR = jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


async def report(client, token, month=MONTH, **params):
    r = await client.get(
        "/api/v1/reports/sstu", params={"month": month, **params}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    return r


@pytest.fixture
async def month(app, client, db):
    admin = await make_key(db, "admin")
    appeals = await make_month(app, client, db, admin)
    return admin, {a.key: a for a in appeals}


class TestMonthReport:
    async def test_counts_by_status_section_and_channel(self, client, month):
        admin, appeals = month
        body = (await report(client, admin)).json()
        wanted = list(appeals.values())
        stats = body["statistics"]
        assert stats["questions_by_status"] == dict(by_status(wanted))
        assert stats["questions_by_section"] == dict(by_section(wanted))
        cells: Counter[tuple[str, str, str]] = Counter()
        for row in stats["rows"]:
            cells[(row["section"][:4], row["status"], row["channel"])] += row["questions"]
        assert cells == expected_questions(wanted)
        in_report = {a.number for a in wanted if a.expect}
        assert stats["appeals"] == len(in_report) == 9
        assert stats["questions"] == 10
        assert {d["number"] for d in body["documents"]} == in_report
        assert body["ready"] is True and body["problems"] == []
        assert body["department_id"] == CITY_ID

    async def test_every_document_matches_the_json_schema(self, client, month):
        admin, _ = month
        body = (await report(client, admin)).json()
        for document in body["documents"]:
            errors = [e.message for e in VALIDATOR.iter_errors(document)]
            assert errors == [], (document["number"], errors)

    async def test_transferred_appeal_names_its_addressee(self, client, month):
        admin, appeals = month
        body = (await report(client, admin)).json()
        clinic = appeals["clinic"]
        [doc] = [d for d in body["documents"] if d["number"] == clinic.number]
        [question] = doc["questions"]
        assert question == {
            "code": "0002.0014.0143.0389",
            "status": "Transferred",
            "incomingDate": "2026-11-05",
            "registrationDate": "2026-11-05",
            "transfer": {
                "departmentId": ROSPOTREB_ID,
                "transferDate": "2026-11-06",
                "transferNumber": "01-12/345",
            },
        }
        [index] = [i for i in body["appeals"] if i["number"] == clinic.number]
        assert index["transferred_to"] == [ROSPOTREB]
        assert index["console"] == f"/console/tickets/{clinic.ticket_id}"

    async def test_appeal_with_two_questions(self, client, month):
        admin, appeals = month
        body = (await report(client, admin)).json()
        two = appeals["two-questions"]
        [doc] = [d for d in body["documents"] if d["number"] == two.number]
        assert doc["format"] == "Electronic" and doc["isDirect"] is True
        assert doc["createDate"] == "2026-11-09"
        assert [(q["code"], q["status"]) for q in doc["questions"]] == [
            ("0005.0005.0056.1154", "Explained"),
            ("0003.0009.0099.0732", "Supported"),
        ]
        supported = doc["questions"][1]
        assert supported["actionsTaken"] is False
        assert supported["responseDate"] == "2026-11-25"

    async def test_month_end_decides_and_carries_over(self, client, month):
        admin, appeals = month
        docs = {d["number"]: d for d in (await report(client, admin)).json()["documents"]}
        # Answered on 3 December: still in work at the end of November.
        late = docs[appeals["answered-in-december"].number]["questions"][0]
        assert late["status"] == "InWork" and "responseDate" not in late
        assert late["isExtend"] is False
        # Received in October, answered in November: November reports it.
        carried = docs[appeals["from-october"].number]["questions"][0]
        assert (carried["incomingDate"], carried["responseDate"]) == ("2026-10-20", "2026-11-05")
        assert appeals["decided-in-october"].number not in docs
        assert appeals["december"].number not in docs
        assert appeals["not-59"].number not in docs
        # December's report sees the December answer.
        december = {
            d["number"]: d for d in (await report(client, admin, "2026-12")).json()["documents"]
        }
        assert december[appeals["answered-in-december"].number]["questions"][0]["status"] == (
            "Explained"
        )

    async def test_zip_holds_the_same_documents(self, client, month):
        admin, _ = month
        documents = (await report(client, admin)).json()["documents"]
        r = await report(client, admin, format="zip")
        assert r.headers["content-type"] == "application/zip"
        assert f'filename="sstu-{MONTH}.zip"' in r.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            files = {name: json.loads(zf.read(name)) for name in zf.namelist()}
        assert files == {f"{MONTH}/{d['number']}.json": d for d in documents}

    async def test_applicant_only_for_who_may_read_personal_data(self, client, db, month):
        admin, _ = month
        press_manager = await make_key(db, "manager", "press")
        docs = (await report(client, press_manager)).json()["documents"]
        assert len(docs) == 9
        assert {d.get("name") for d in docs} == {"Петрова Ольга Игоревна"}
        assert all("name" not in d for d in (await report(client, admin)).json()["documents"])

    async def test_a_department_manager_sees_its_own_appeals(self, client, db, month):
        _, appeals = month
        zhkh = await make_key(db, "manager", "zhkh")
        numbers = {d["number"] for d in (await report(client, zhkh)).json()["documents"]}
        assert numbers == {appeals[k].number for k in ("heating", "insults", "two-questions")}
        r = await client.post(
            "/api/v1/reports/sstu/uploads", params={"month": MONTH}, headers=auth(zhkh)
        )
        assert r.status_code == 403

    async def test_operators_cannot_read_the_report(self, client, db):
        operator = await make_key(db, "operator", "roads")
        r = await client.get(
            "/api/v1/reports/sstu", params={"month": MONTH}, headers=auth(operator)
        )
        assert r.status_code == 403

    @pytest.mark.parametrize("bad", ["2026-13", "2026-1", "ноябрь", "1999-11"])
    async def test_month_must_be_yyyy_mm(self, client, db, bad):
        admin = await make_key(db, "admin")
        r = await client.get("/api/v1/reports/sstu", params={"month": bad}, headers=auth(admin))
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")


class TestClosingNeedsAnOutcome:
    async def appeal(self, app, db, **overrides):
        app.state.clock = lambda: local("2026-11-12")
        fields = {"kind": "fz59_appeal", "category_code": "heating", "now": local("2026-11-10")}
        fields.update(overrides)
        return await make_ticket(db, **fields)

    async def test_final_answer_without_outcome_is_refused(self, app, client, db):
        ticket = await self.appeal(app, db)
        admin = await make_key(db, "admin")
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/answers",
            json={"text": "Ответ.", "kind": "final"},
            headers=auth(admin),
        )
        assert r.status_code == 422
        problem = r.json()
        assert "question 1 (0005.0005.0056.1156): an outcome" in problem["detail"]
        assert problem["errors"][0]["field"] == "sstu"
        after = await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(admin))
        assert after.json()["status"] == ticket.status == "routed"
        answers = await client.get(f"/api/v1/tickets/{ticket.id}/answers", headers=auth(admin))
        assert answers.json() == []

    async def test_rejecting_and_closing_need_one_too(self, app, client, db):
        ticket = await self.appeal(app, db)
        admin = await make_key(db, "admin")
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/transitions",
            json={"to": "rejected", "reason": "не наше", "redirect_to": ROSPOTREB},
            headers=auth(admin),
        )
        assert r.status_code == 422 and "an outcome" in r.json()["detail"]

    @pytest.mark.parametrize(
        ("question", "missing"),
        [
            ({"status": "Supported"}, "actions_taken"),
            ({"status": "LeftWithoutAnswer"}, "art. 11 ground"),
            (
                {"status": "Transferred", "transfer": {"to": "Неизвестное ведомство",
                                                       "date": "2026-11-11", "number": "7"}},
                "addressee's ССТУ id",
            ),
        ],
    )  # fmt: skip
    async def test_outcome_details_are_named(self, app, client, db, question, missing):
        ticket = await self.appeal(app, db)
        admin = await make_key(db, "admin")
        body = {"questions": [{"code": "0005.0005.0056.1156", **question}]}
        put = await client.put(f"/api/v1/tickets/{ticket.id}/sstu", json=body, headers=auth(admin))
        assert put.status_code == 200, put.text
        assert any(missing in m for m in put.json()["missing"])
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/answers",
            json={"text": "Ответ.", "kind": "final"},
            headers=auth(admin),
        )
        assert r.status_code == 422 and missing in r.json()["detail"]

    async def test_other_kinds_close_without_one(self, app, client, db):
        ticket = await self.appeal(app, db, kind="direct_request")
        admin = await make_key(db, "admin")
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/answers",
            json={"text": "Ответ.", "kind": "final"},
            headers=auth(admin),
        )
        assert r.status_code == 201

    async def test_a_detail_of_another_outcome_is_refused(self, app, client, db):
        ticket = await self.appeal(app, db)
        admin = await make_key(db, "admin")
        body = {"questions": [{"code": "0005.0005.0056.1156", "status": "Explained",
                               "ground": "obscene"}]}  # fmt: skip
        r = await client.put(f"/api/v1/tickets/{ticket.id}/sstu", json=body, headers=auth(admin))
        assert r.status_code == 422 and "ground goes with status LeftWithoutAnswer" in r.text

    async def test_a_code_outside_the_classifier_is_refused(self, app, client, db):
        ticket = await self.appeal(app, db)
        admin = await make_key(db, "admin")
        body = {"questions": [{"code": "0009.0009.0009.0009"}]}
        r = await client.put(f"/api/v1/tickets/{ticket.id}/sstu", json=body, headers=auth(admin))
        assert r.status_code == 422 and "not a question of the loaded classifier" in r.text


class TestCheckBeforeUpload:
    async def test_an_appeal_without_code_blocks_the_upload(self, app, client, db):
        app.state.clock = lambda: local("2026-12-01")
        coded = await make_ticket(db, kind="fz59_appeal", category_code="roads",
                                  now=local("2026-11-03"))  # fmt: skip
        uncoded = await make_ticket(db, kind="fz59_appeal", category_code="other",
                                    now=local("2026-11-04"))  # fmt: skip
        admin = await make_key(db, "admin")
        body = (await report(client, admin)).json()
        assert [d["number"] for d in body["documents"]] == [coded.number]
        assert body["ready"] is False
        [problem] = body["problems"]
        assert problem["number"] == uncoded.number
        assert problem["console"] == f"/console/tickets/{uncoded.id}"
        assert problem["missing"] == ["question 1: a classifier code"]
        r = await client.post(
            "/api/v1/reports/sstu/uploads", params={"month": MONTH}, headers=auth(admin)
        )
        assert r.status_code == 409
        assert r.json()["problems"][0]["number"] == uncoded.number
        # Coded by staff, the month is ready.
        put = await client.put(
            f"/api/v1/tickets/{uncoded.id}/sstu",
            json={"questions": [{"code": "0003.0009.0097.0689"}]},
            headers=auth(admin),
        )
        assert put.status_code == 200
        assert (await report(client, admin)).json()["ready"] is True

    async def test_answered_in_the_source_without_outcome_is_listed(self, app, client, db):
        app.state.clock = lambda: local("2026-12-01")
        draft = TicketDraft(
            source="feedback_platform",
            source_id="900001",
            kind="fz59_appeal",
            channel="gosuslugi",
            text="Яма на дороге у школы",
            category_code="roads",
            status="answered",  # ПОС SEND_RESPONSE: the answer was given in the source
            source_updated_at=local("2026-11-15"),
        )
        async with db.sessionmaker() as session:
            ticket = (
                await ingest_draft(session, draft, actor="test", now=local("2026-11-03"))
            ).ticket
            await session.commit()
        admin = await make_key(db, "admin")
        body = (await report(client, admin)).json()
        [doc] = body["documents"]
        assert doc["questions"][0]["status"] == "Answered"
        [problem] = body["problems"]
        assert problem["number"] == ticket.number and problem["reported"] is True
        assert "an outcome" in problem["missing"][0]


async def test_classifier_lists_the_loaded_edition(client, db):
    operator = await make_key(db, "operator", "zhkh")
    r = await client.get(
        "/api/v1/sstu/classifier", params={"questions": "true"}, headers=auth(operator)
    )
    assert r.status_code == 200
    entries = {e["code"]: e for e in r.json()}
    assert entries["0005.0005.0056.1153"]["name"] == "Перебои в электроснабжении"
    assert all(e["level"] == 4 for e in entries.values())


async def test_ticket_questions_default_to_the_category(client, db):
    ticket = await make_ticket(db, kind="fz59_appeal", category_code="snow")
    operator = await make_key(db, "operator", "roads")
    r = await client.get(f"/api/v1/tickets/{ticket.id}/sstu", headers=auth(operator))
    assert r.status_code == 200
    body = r.json()
    assert body["reported"] is True
    [q] = body["questions"]
    assert (q["code"], q["stored"], q["section"]) == (
        "0003.0009.0097.0694",
        False,
        "0003.0000.0000.0000",
    )
    assert q["name"].startswith("Уборка снега")


async def ingest(db, draft: TicketDraft, now):
    async with db.sessionmaker() as session:
        ticket = (await ingest_draft(session, draft, actor="test", now=now)).ticket
        await session.commit()
    return ticket


def pos_appeal(source_id: str, **fields) -> TicketDraft:
    """A ПОС item filed under 59-ФЗ."""
    values = {
        "source": "feedback_platform",
        "source_id": source_id,
        "kind": "fz59_appeal",
        "channel": "gosuslugi",
        "text": "Не вывозят мусор во дворе",
        "category_code": "waste",
    }
    return TicketDraft(**{**values, **fields})


class TestReceipt:
    """An appeal's month and incoming date are its receipt (the source's ``created_at``), not
    the moment it reached the hub; registration is when the hub registered it."""

    WRITTEN = datetime(2026, 10, 31, 23, 30, tzinfo=VLAD)  # 31 Oct, 23:30 in the city

    async def test_an_appeal_delivered_late_is_in_its_own_month(self, app, client, db):
        app.state.clock = lambda: local("2026-12-02")
        draft = pos_appeal(
            "late-1",
            created_at=self.WRITTEN,
            status="answered",  # answered in ПОС on 10 Nov, before it reached the hub
            source_status="SEND_RESPONSE",
            source_updated_at=local("2026-11-10"),
        )
        ticket = await ingest(db, draft, now=local("2026-11-30", 9))
        admin = await make_key(db, "admin")
        november = (await report(client, admin)).json()
        [doc] = november["documents"]
        assert doc["number"] == ticket.number and doc["createDate"] == "2026-10-31"
        [q] = doc["questions"]
        assert (q["status"], q["incomingDate"], q["registrationDate"], q["responseDate"]) == (
            "Answered",
            "2026-10-31",
            "2026-11-30",  # registered late, on arrival: later than incoming, and that is right
            "2026-11-10",
        )
        october = (await report(client, admin, "2026-10")).json()
        [doc] = october["documents"]
        assert doc["questions"][0] == {
            "code": "0005.0005.0056.1160",
            "status": "NotRegistered",
            "incomingDate": "2026-10-31",
        }

    async def test_a_late_arrival_joins_an_uploaded_month(self, app, client, db):
        admin = await make_key(db, "admin")
        app.state.clock = lambda: local("2026-11-05")
        first = await ingest(
            db, pos_appeal("early-1", created_at=local("2026-10-12")), now=local("2026-10-12")
        )
        r = await client.post(
            "/api/v1/reports/sstu/uploads", params={"month": "2026-10"}, headers=auth(admin)
        )
        assert r.status_code == 202 and r.json()["queued"] == 1, r.text
        late = await ingest(
            db, pos_appeal("late-2", created_at=self.WRITTEN), now=local("2026-11-30", 9)
        )
        app.state.clock = lambda: local("2026-11-30")
        r = await client.post(
            "/api/v1/reports/sstu/uploads", params={"month": "2026-10"}, headers=auth(admin)
        )
        assert r.status_code == 202, r.text
        assert (r.json()["documents"], r.json()["queued"]) == (2, 1)  # only the late one
        october = (await report(client, admin, "2026-10")).json()
        assert [d["number"] for d in october["documents"]] == [first.number, late.number]

    async def test_a_date_before_the_incoming_date_is_a_problem(self, app, client, db):
        # The source dates the appeal 20 Nov; staff record it as transferred on 6 Nov.
        app.state.clock = lambda: local("2026-11-21")
        ticket = await make_ticket(
            db, kind="fz59_appeal", category_code="health", created_at=local("2026-11-20"),
            now=local("2026-11-21"),
        )  # fmt: skip
        admin = await make_key(db, "admin")
        transfer = {"to": ROSPOTREB, "date": "2026-11-06", "number": "01-12/9"}
        body = {"questions": [{"code": "0002.0014.0143.0389", "status": "Transferred",
                               "transfer": transfer}]}  # fmt: skip
        put = await client.put(f"/api/v1/tickets/{ticket.id}/sstu", json=body, headers=auth(admin))
        assert put.status_code == 200, put.text
        await close(client, admin, ticket.id, "reject")
        app.state.clock = lambda: local("2026-12-01")
        body = (await report(client, admin)).json()
        assert body["documents"] == [] and body["ready"] is False
        [problem] = body["problems"]
        assert problem["number"] == ticket.number and problem["reported"] is False
        assert problem["missing"] == [
            "question 1 (0002.0014.0143.0389): transferDate 2026-11-06 precedes its "
            "incomingDate 2026-11-20"
        ]


class TestReopened:
    async def test_closing_again_needs_the_outcome_again(self, app, client, db):
        app.state.clock = lambda: local("2026-11-12")
        ticket = await make_ticket(
            db, kind="fz59_appeal", category_code="heating", now=local("2026-11-10")
        )
        admin = await make_key(db, "admin")
        url = f"/api/v1/tickets/{ticket.id}"
        body = {"questions": [{"code": "0005.0005.0056.1156", "status": "Supported",
                               "actions_taken": True}]}  # fmt: skip
        assert (await client.put(f"{url}/sstu", json=body, headers=auth(admin))).status_code == 200
        await close(client, admin, ticket.id, "answer")
        app.state.clock = lambda: local("2026-11-16")
        r = await client.post(
            f"{url}/transitions",
            json={"to": "in_progress", "reason": "житель сообщил, что не сделано"},
            headers=auth(admin),
        )
        assert r.status_code == 200, r.text
        # Kept for history, but no longer in effect: closing needs it again.
        kept = (await client.get(f"{url}/sstu", headers=auth(admin))).json()
        [q] = kept["questions"]
        assert (q["status"], q["actions_taken"]) == ("Supported", True)
        assert q["decided_at"].startswith("2026-11-12")
        assert "Supported was recorded before the appeal was reopened" in kept["missing"][0]
        app.state.clock = lambda: local("2026-11-20")
        final = {"text": "Повторный ответ.", "kind": "final"}
        r = await client.post(f"{url}/answers", json=final, headers=auth(admin))
        assert r.status_code == 422, r.text
        assert "question 1 (0005.0005.0056.1156): an outcome" in r.json()["detail"]
        assert "Supported" in r.json()["detail"]
        assert r.json()["errors"][0]["field"] == "sstu"
        assert (await client.get(url, headers=auth(admin))).json()["status"] == "in_progress"
        # Confirmed (here: changed), the appeal closes and the new outcome dates from then.
        body = {"questions": [{"code": "0005.0005.0056.1156", "status": "Explained"}]}
        assert (await client.put(f"{url}/sstu", json=body, headers=auth(admin))).status_code == 200
        r = await client.post(f"{url}/answers", json=final, headers=auth(admin))
        assert r.status_code == 201, r.text
        app.state.clock = lambda: local("2026-12-01")
        [doc] = (await report(client, admin)).json()["documents"]
        assert (doc["questions"][0]["status"], doc["questions"][0]["responseDate"]) == (
            "Explained",
            "2026-11-20",
        )


class TestRejectedBySource:
    """A correction on an appeal ПОС moderation rejected is dated when it was rejected."""

    async def test_arrived_rejected_dates_from_the_sources_rejection(self, app, client, db):
        draft = pos_appeal(
            "declined-1",
            created_at=local("2026-11-05"),
            status="rejected",
            source_status="MODERATION_DECLINE",
            source_updated_at=local("2026-11-06"),
        )
        ticket = await ingest(db, draft, now=local("2026-11-07"))
        admin = await make_key(db, "admin")
        app.state.clock = lambda: local("2026-12-03")  # the correction is made in December
        body = {"questions": [{"code": "0005.0005.0056.1160", "status": "LeftWithoutAnswer",
                               "ground": "obscene"}]}  # fmt: skip
        put = await client.put(f"/api/v1/tickets/{ticket.id}/sstu", json=body, headers=auth(admin))
        assert put.status_code == 200, put.text
        assert put.json()["questions"][0]["decided_at"] == local("2026-11-06").isoformat().replace(
            "+00:00", "Z"
        )
        [doc] = (await report(client, admin)).json()["documents"]
        assert doc["questions"][0]["status"] == "LeftWithoutAnswer"
        assert doc["questions"][0]["responseDate"] == "2026-11-06"

    async def test_rejected_later_dates_from_its_move_to_rejected(self, app, client, db):
        ticket = await ingest(
            db, pos_appeal("declined-2", source_status="NEW"), now=local("2026-11-05")
        )
        draft = pos_appeal(
            "declined-2",
            status="rejected",
            source_status="MODERATION_DECLINE",
            source_updated_at=local("2026-11-06"),
        )
        await ingest(db, draft, now=local("2026-11-06"))
        async with db.sessionmaker() as session:
            rows = await session.exec(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.type == "status_changed"
                )
            )
            [moved] = [e for e in rows.all() if e.data["after"] == "rejected"]
        admin = await make_key(db, "admin")
        app.state.clock = lambda: datetime(2031, 1, 15, tzinfo=UTC)  # "today", far from it
        body = {"questions": [{"code": "0005.0005.0056.1160", "status": "NotSupported"}]}
        put = await client.put(f"/api/v1/tickets/{ticket.id}/sstu", json=body, headers=auth(admin))
        assert put.status_code == 200, put.text
        decided = datetime.fromisoformat(put.json()["questions"][0]["decided_at"])
        assert decided == moved.at


class TestMonthInput:
    async def test_full_width_digits_are_not_a_month(self, client, db):
        admin = await make_key(db, "admin")
        r = await client.get(
            "/api/v1/reports/sstu", params={"month": "２０２６-11"}, headers=auth(admin)
        )
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_a_month_not_over_is_not_uploaded(self, app, client, db):
        admin = await make_key(db, "admin")
        await make_ticket(db, kind="fz59_appeal", category_code="roads", now=local("2026-11-03"))
        app.state.clock = lambda: local("2026-11-30", 23)  # 23:00 on 30 Nov in the city
        r = await client.post(
            "/api/v1/reports/sstu/uploads", params={"month": "2026-11"}, headers=auth(admin)
        )
        assert r.status_code == 409
        assert "2026-11 has not ended yet in the city's time zone" in r.json()["detail"]
        async with db.sessionmaker() as session:
            queued = await session.exec(select(OutboxMessage).where(OutboxMessage.target == "sstu"))
            assert queued.all() == []
        app.state.clock = lambda: local("2026-12-01", 0)  # midnight: November is over
        r = await client.post(
            "/api/v1/reports/sstu/uploads", params={"month": "2026-11"}, headers=auth(admin)
        )
        assert r.status_code == 202 and r.json()["queued"] == 1, r.text
