"""`appeals purge` (personal-data retention) and `appeals export` (CSV) on real PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from app.access.retention import count_purgeable, purge_batch, scrub_body
from app.models.inbound import InboundDelivery
from app.models.tickets import Applicant, Ticket, TicketEvent
from app.tickets.export import write_csv
from app.tickets.queries import TicketFilters
from app.workers.registry import loops
from tests.support.builders import auth, make_key, make_ticket
from tests.support.servers import ROOT, app_env

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
POS_BODY = {
    "posId": 1,
    "description": "Яма",
    "applicant": {"surname": "Петрова", "phone": "+79240000000"},
}


async def close_ticket(db, ticket_id: int, *, at: datetime, status: str = "closed") -> None:
    values = {"status": status, "updated_at": at}
    if status == "closed":
        values["closed_at"] = at
    async with db.sessionmaker() as session:
        await session.exec(update(Ticket).where(Ticket.id == ticket_id).values(**values))
        await session.commit()


async def archive_delivery(db, ticket_id: int, body: dict) -> int:
    async with db.sessionmaker() as session:
        delivery = InboundDelivery(
            source="feedback_platform",
            webhook_id=f"msg_{ticket_id}",
            body=json.dumps(body, ensure_ascii=False).encode(),
            outcome="created",
            ticket_id=ticket_id,
        )
        session.add(delivery)
        await session.commit()
        assert delivery.id is not None
        return delivery.id


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from app.cli.root import main; main()", *args],
        env=app_env(database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestPurge:
    async def test_clears_personal_data_after_retention_and_keeps_the_ticket(self, db, client):
        old = await make_ticket(db, text="Яма у дома 5, звоните +7 924 123-45-67", now=NOW)
        recent = await make_ticket(db)
        still_open = await make_ticket(db)
        rejected = await make_ticket(db)
        await close_ticket(db, old.id, at=NOW - timedelta(days=40))
        await close_ticket(db, recent.id, at=NOW - timedelta(days=5))
        await close_ticket(db, rejected.id, at=NOW - timedelta(days=31), status="rejected")
        delivery_id = await archive_delivery(db, old.id, POS_BODY)

        async with db.sessionmaker() as session:
            assert await count_purgeable(session, retention_days=30, now=NOW) == 2
            report = await purge_batch(session, retention_days=30, now=NOW, actor="test", limit=500)
            await session.commit()
        assert (report.tickets, report.deliveries) == (2, 1)

        async with db.sessionmaker() as session:
            ticket = await session.get(Ticket, old.id)
            applicant = await session.get(Applicant, ticket.applicant_id)
            assert applicant.purged_at == NOW
            assert (applicant.full_name, applicant.phone) == (None, None)
            assert ticket.category_code == old.category_code
            assert ticket.status == "closed"
            assert "924" not in ticket.text and "[phone]" in ticket.text
            assert "924" not in ticket.search_text and "яма" in ticket.search_text  # the lemmas
            assert ticket.version == old.version + 1
            events = (
                await session.exec(select(TicketEvent.type).where(TicketEvent.ticket_id == old.id))
            ).all()
            assert "personal_data_purged" in events
            delivery = await session.get(InboundDelivery, delivery_id)
            body = json.loads(delivery.body)
            assert body["applicant"] is None and body["posId"] == 1
            for kept in (recent, still_open):
                row = await session.get(Ticket, kept.id)
                person = await session.get(Applicant, row.applicant_id)
                assert person.purged_at is None and person.full_name

        token = await make_key(db, "operator", old.department_code)
        r = await client.get(f"/api/v1/tickets/{old.id}", headers=auth(token))
        assert r.status_code == 200
        assert r.json()["applicant"] is None

        async with db.sessionmaker() as session:  # a second run finds nothing more
            assert await count_purgeable(session, retention_days=30, now=NOW) == 0

    def test_scrub_body_removes_the_citizen_and_drops_what_it_cannot_read(self) -> None:
        assert scrub_body(b'{"id": 1, "author": null}') is None
        # A body that cannot be read field by field (a quarantined one later replayed with a
        # corrected body) may hold anything: it goes whole, and a second purge keeps it so.
        assert scrub_body("не JSON: Иванов +79240000000".encode()) == b"null"
        assert scrub_body(b'{"a":' + b"[" * 50_000 + b"]" * 50_000 + b"}") == b"null"
        assert scrub_body(b"null") is None
        im = json.loads(scrub_body(b'{"id": 1, "author": {"name": "Anna"}}') or b"{}")
        assert im == {"id": 1, "author": None}

    async def test_cli_dry_run_then_purge(self, db, database_url):
        ticket = await make_ticket(db)
        await close_ticket(db, ticket.id, at=datetime.now(UTC) - timedelta(days=3))

        dry = await asyncio.to_thread(run_cli, database_url, "purge", "--days", "2", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "1 tickets closed more than 2 days ago" in dry.stdout
        done = await asyncio.to_thread(run_cli, database_url, "purge", "--days", "2")
        assert done.returncode == 0, done.stderr
        assert "purged personal data of 1 tickets" in done.stdout
        async with db.sessionmaker() as session:
            row = await session.get(Ticket, ticket.id)
            assert (await session.get(Applicant, row.applicant_id)).purged_at is not None


class TestExport:
    async def test_filters_pages_and_leaves_personal_data_out(self, db):
        for _ in range(5):
            await make_ticket(db, category_code="roads")
        await make_ticket(db, text="Не вывезли мусор", category_code="waste")
        seen: list[int] = []
        out = io.StringIO()
        async with db.sessionmaker() as session:
            written = await write_csv(
                session,
                out,
                filters=TicketFilters(category="roads"),
                now=datetime.now(UTC),
                page_size=2,
                progress=seen.append,
            )
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert written == 5 and len(rows) == 5 and seen == [2, 2, 1]
        assert {r["category_code"] for r in rows} == {"roads"}
        assert "applicant_name" not in rows[0]
        assert "Петрова" not in out.getvalue()

    async def test_cli_writes_a_file_with_personal_data_when_asked(
        self, db, database_url, tmp_path
    ):
        ticket = await make_ticket(db)
        closed = await make_ticket(db)
        await close_ticket(db, closed.id, at=datetime.now(UTC))
        target = tmp_path / "tickets.csv"
        done = await asyncio.to_thread(
            run_cli,
            database_url,
            "export",
            "-o",
            str(target),
            "--personal-data",
            *("--status", "new", "--status", "routed", "--created-from", "2020-01-01"),
        )
        assert done.returncode == 0, done.stderr
        assert "exported 1 tickets" in done.stderr
        rows = list(csv.DictReader(target.open(encoding="utf-8")))
        assert [r["number"] for r in rows] == [ticket.number]
        assert rows[0]["applicant_name"] == "Петрова Ольга Игоревна"


class TestPurgeLoop:
    async def test_the_worker_purges_past_the_configured_retention(self, db):
        loop = loops(db.settings)["personal_data_purge"]
        assert loop.singleton
        days = db.settings.personal_data_retention_days
        due = await make_ticket(db)
        kept = await make_ticket(db)
        await close_ticket(db, due.id, at=NOW - timedelta(days=days + 1))
        await close_ticket(db, kept.id, at=NOW - timedelta(days=days - 1))

        await loop.run(db, NOW)

        async with db.sessionmaker() as session:
            for ticket, purged in ((due, True), (kept, False)):
                row = await session.get(Ticket, ticket.id)
                applicant = await session.get(Applicant, row.applicant_id)
                assert (applicant.purged_at is not None) is purged
