"""Imports and webhooks with values that do not fit (issue 23, items 5 and 6): every bad row is
reported with its real reason and skipped, every good row is imported, a pushed item that
cannot be stored is quarantined with its reason."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from app.connectors import registry
from app.connectors.feedback_platform.export import EXPORT as POS_EXPORT
from app.main import create_app
from app.models.inbound import InboundDelivery
from tests.api.test_imports import im_file, im_row, importer, pos_file, pos_row, tickets, upload
from tests.support.builders import auth, make_key
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, webhook_settings

__all__ = ["importer"]  # the fixture, shared with test_imports

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
FUTURE = (NOW + timedelta(days=3)).strftime("%d.%m.%Y")


@pytest.fixture
def frozen(app):
    app.state.clock = lambda: NOW


async def test_rows_without_a_number_are_not_merged_into_one_ticket(client, db, importer, frozen):
    rows = [pos_row("б/н"), pos_row("б/н", Категория="Дороги"), pos_row(" 12-34 "), pos_row(42)]
    report = (await upload(client, "feedback-platform", pos_file(rows), importer)).json()
    assert report["created"] == [7]
    assert [x["row"] for x in report["rejected"]] == [4, 5, 6]
    assert set(await tickets(db, "feedback_platform")) == {"42"}


async def test_im_export_rows_are_bounded_too(client, db, importer, frozen):
    rows = [
        im_row("https://vk.com/wall-1_1"),
        im_row("https://vk.com/wall-1_2?" + "q" * 1200),  # over the 1000 of the stored link
        im_row("https://vk.com/wall-1_3", Тема="Тема " * 60),
        im_row("https://vk.com/wall-1_4", **{"Дата создания": "12.12.1999"}),
        im_row("https://vk.com/wall-1_5", **{"Дата создания": FUTURE}),
        im_row("https://vk.com/wall-1_6", Муниципалитет="М" * 301),
        im_row("https://vk.com/wall-1_7"),
    ]
    report = (await upload(client, "incident-management", im_file(rows), importer)).json()
    assert report["created"] == [2, 8]
    reasons = {x["row"]: x["reason"] for x in report["rejected"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "Урл блога: longer than 1000" in reasons[3]
    assert "Тема: longer than 240" in reasons[4]
    assert "before 01.01.2000" in reasons[5]
    assert "more than a day in the future" in reasons[6]
    assert "Муниципалитет: longer than 300" in reasons[7]


async def test_a_value_the_database_refuses_costs_its_row_only(
    client, db, importer, frozen, monkeypatch
):
    """The backstop behind the parse-time checks: a row PostgreSQL refuses (here a source
    status over its 64) fails alone in the intake pipeline (a poison item in its batch) and is
    reported with the real cause; the rest of the batch commits."""

    def parse(row, *, tz, now):
        draft = POS_EXPORT.parse(row, tz=tz, now=now)
        if draft.source_id.endswith("7"):
            draft.source_status = "S" * 100
        return draft

    # Where the import and the intake pipeline both read the format from.
    monkeypatch.setattr(
        registry, "export_format", lambda source: dataclasses.replace(POS_EXPORT, parse=parse)
    )
    rows = [pos_row(n) for n in range(9_100_000_001, 9_100_000_011)]  # …007 is the 7th
    report = (await upload(client, "feedback-platform", pos_file(rows), importer)).json()
    ((rejected),) = report["rejected"]
    assert rejected["row"] == 10
    assert rejected["reason"] == (
        "a value is longer than its field allows (value too long for type character varying(64))"
    )
    assert report["created"] == [4, 5, 6, 7, 8, 9, 11, 12, 13]
    assert len(await tickets(db, "feedback_platform")) == 9
    # The row is kept in quarantine like any delivery the pipeline could not make, shown
    # without its cells' personal data, and replays once the cause is gone.
    monkeypatch.undo()
    admin = auth(await make_key(db, "admin"))
    (kept,) = (await client.get("/api/v1/quarantine", headers=admin)).json()["items"]
    shown = json.loads(kept["body"])
    assert shown["Номер"] == 9_100_000_007
    assert all(v == "***" for k, v in shown.items() if k != "Номер" and not k.startswith("Дата"))
    replayed = await client.post(f"/api/v1/quarantine/{kept['id']}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["outcome"] == "created"
    assert len(await tickets(db, "feedback_platform")) == 10


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def quarantined(db) -> list[InboundDelivery]:
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(InboundDelivery).where(InboundDelivery.outcome == "invalid")
        )
        return list(rows.all())


async def test_a_200_character_pos_id_is_quarantined_with_its_reason(hooks, db):
    """ПОС numbers are digits, at most 19 of them (the export's «Номер» is read the same)."""
    item = sample("pos_message.json") | {"posId": "7" * 200}
    body = encode(item)
    r = await hooks.post(POS_URL, content=body, headers=signed(body))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert any(e["field"].startswith("posId") for e in problem["errors"]), problem
    assert "posId" in problem["detail"]
    (row,) = await quarantined(db)
    assert row.id == problem["delivery_id"] and row.errors == problem["errors"]


@pytest.mark.parametrize(
    ("source", "url", "change", "field"),
    [
        (POS_URL, "pos_message.json", {"subjectName": "Тема " * 40}, "subjectName"),
        (POS_URL, "pos_message.json", {"posId": 2**64}, "posId"),
        (POS_URL, "pos_message.json", {"description": "Мусор\u0000во дворе"}, "description"),
        (IM_URL, "im_incident.json", {"post_url": "https://vk.com/w?" + "q" * 1200}, "post_url"),
        (IM_URL, "im_incident.json", {"theme": "Т" * 260}, "theme"),
    ],
)  # fmt: skip
async def test_pushed_values_that_cannot_be_stored_are_quarantined(
    hooks, db, source, url, change, field
):
    body = encode(sample(url) | change)
    r = await hooks.post(source, content=body, headers=signed(body))
    assert r.status_code == 422, r.text
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()
    assert len(await quarantined(db)) == 1
