"""Duplicates found through the webhooks, by the place a text names: a route number, a ticket
number, a date or a latin word is never an address (no merge, no suggestion); a street the city
does not list, written «Октябрьская, дом пять» or «Октябрьская 5», is one house."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from app.main import create_app
from app.models.routing import DuplicateSuggestion
from app.models.tickets import Ticket
from tests.support.intake import processed
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, webhook_settings

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings())
    app.state.clock = lambda: NOW
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def im_post(n: int, text: str, theme: str) -> dict:
    created = (NOW - timedelta(hours=5 - n)).isoformat()
    return sample("im_incident.json") | {
        "id": f"im-{n}",
        "post_url": f"https://vk.com/wall-100000000_{n}",
        "created_at": created,
        "updated_at": created,
        "text": text,
        "theme_group": theme,
        "theme": theme,
        "importance": "Обычная",
        "location": None,
    }


def pos_message(n: int, text: str, subject: str) -> dict:
    created = (NOW - timedelta(hours=5 - n)).isoformat()
    return sample("pos_message.json") | {
        "posId": 563007000 + n,
        "createdAt": created,
        "answerAt": (NOW + timedelta(days=10)).isoformat(),
        "description": text,
        "location": None,
        "subjectName": subject,
        "subsubjectName": None,
        "history": [],
        "status": "MODERATION_ACCEPT",
    }


async def deliver(hooks, db, url: str, payload: dict) -> int:
    """The ticket the pipeline made of (or merged) the delivery."""
    body = encode(payload)
    r = await hooks.post(url, content=body, headers=signed(body, at=NOW))
    assert r.status_code == 202, r.text
    return int((await processed(db, r))["ticket_id"])


async def links(db) -> tuple[list[tuple[int, str, int | None, str | None]], list[tuple[int, int]]]:
    async with db.sessionmaker() as session:
        tickets = (await session.exec(select(Ticket).order_by(col(Ticket.id)))).all()
        suggested = (await session.exec(select(DuplicateSuggestion))).all()
    return (
        [(t.id, t.status, t.duplicate_of_id, t.address_key) for t in tickets],  # type: ignore[misc]
        [(s.ticket_id, s.candidate_id) for s in suggested],
    )


@pytest.mark.parametrize(
    ("theme", "texts"),
    [
        (
            "Общественный транспорт",
            [
                "Автобус 105 утром не пришёл на остановку",
                "Автобус 105 — водитель нагрубил пассажирке",
                "Маршрут 12 не ходит после 20:00, люди мёрзнут",
                "Маршрутка 7 переполнена, водитель курит в салоне",
                "Троллейбус № 3 опять сломался на линии",
            ],
        ),
        (
            "Ямы на дорогах",
            [
                "Повторно обращаюсь по заявке SD-2026-000101: яма так и не заделана",
                "Повторно обращаюсь по заявке SD-2026-000202: яма у остановки так и не засыпана",
                "Dec 2025 -> яма на дороге до сих пор",
                "Dec 2025 -> яму засыпали щебнем, его размыло",
                "Звоните 8 914 123-45-67, покажу яму, с 30.11.2026 ничего не сделано",
            ],
        ),
    ],
)
async def test_numbers_that_are_no_address_link_nothing(hooks, db, theme, texts):
    for n, text in enumerate(texts):
        await deliver(hooks, db, IM_URL, im_post(n, text, theme))
    tickets, suggested = await links(db)
    assert len(tickets) == len(texts)
    assert [(main, key) for _, status, main, key in tickets if status == "merged" or key] == []
    assert suggested == []


async def test_a_street_the_city_does_not_list_is_one_house_however_written(hooks, db):
    first = await deliver(
        hooks,
        db,
        POS_URL,
        pos_message(
            1, "Октябрьская, дом пять — подвал затоплен канализацией", "Многоквартирные дома"
        ),
    )
    second = await deliver(
        hooks, db, IM_URL, im_post(2, "Октябрьская 5 в подвале канализация стоит, вонь", "ЖКХ")
    )
    third = await deliver(
        hooks, db, IM_URL, im_post(3, "Октябрьская, д. 9: не работает лифт", "ЖКХ")
    )
    fourth = await deliver(
        hooks, db, IM_URL, im_post(4, "ул. Октябрьская, д. 9 — лифт стоит третий день", "ЖКХ")
    )
    tickets, _ = await links(db)
    by_id = {t[0]: t for t in tickets}
    assert by_id[first][3] == by_id[second][3] == "октябрьский 5"
    assert by_id[third][3] == by_id[fourth][3] == "октябрьский 9"
    assert by_id[second][1:3] == ("merged", first)
    assert by_id[fourth][1:3] == ("merged", third)
