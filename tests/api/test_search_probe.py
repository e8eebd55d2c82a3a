"""A search page first asks the scope's newest tickets whether the word is common there (the probe
of app.tickets.queries._search_ids): when it is not, the walk over the newest tickets is skipped
and the page comes from the GIN indexes. Either way a page holds the same tickets, in the same
order, across the same cursors, as the matches sorted newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.models.tickets import Ticket
from tests.support.builders import auth, make_key, make_ticket

DAYS = [0, 1, 2, 5, 10, 20, 35, 40, 60, 100, 200, 400]  # the roads tickets' ages
# Which of them say «яма»: in the first layout one of the three newest does (the probe, of
# three, finds one: the word is rare there and the walk is skipped), in the second two do (the
# walk runs, and reaches past the probe).
LAYOUTS = {
    "rare_in_newest": [False, True, False, False, True, True, False, True, True, True, False, True],
    "common_in_newest": [
        True,
        True,
        False,
        True,
        False,
        False,
        True,
        False,
        True,
        False,
        False,
        True,
    ],
}


async def _set_created(db, ticket_id: int, at: datetime) -> None:
    async with db.sessionmaker() as session:
        await session.exec(update(Ticket).where(Ticket.id == ticket_id).values(created_at=at))  # type: ignore[call-overload]
        await session.commit()


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("who", ["operator", "admin", "admin_in_roads"])
async def test_pages_are_the_matches_newest_first_whatever_the_probe_says(
    client, db, monkeypatch, layout, who
):
    from app.tickets import queries

    monkeypatch.setattr(queries, "SEARCH_PROBE", 3)
    monkeypatch.setattr(queries, "SEARCH_PROBE_HITS", 2)
    monkeypatch.setattr(queries, "SEARCH_RECENT", 4)
    now = datetime.now(UTC)
    hits: list[tuple[datetime, int]] = []
    elsewhere: list[tuple[datetime, int]] = []
    for days, says in zip(DAYS, LAYOUTS[layout], strict=True):
        text = f"Яма на дороге, дом {days}" if says else f"Не горит фонарь, дом {days}"
        ticket = await make_ticket(db, text=text)
        at = now - timedelta(days=days)
        await _set_created(db, ticket.id, at)
        if says:
            hits.append((at, ticket.id))
    for days in (0.5, 30, 300):  # zhkh's: a roads operator never sees them
        ticket = await make_ticket(
            db, text=f"Яма после ремонта трубы {days}", category_code="water"
        )
        at = now - timedelta(days=days)
        await _set_created(db, ticket.id, at)
        elsewhere.append((at, ticket.id))
    token = (
        await make_key(db, "operator", "roads")
        if who == "operator"
        else await make_key(db, "admin")
    )
    extra = {"department": "roads"} if who == "admin_in_roads" else {}
    matches = hits + elsewhere if who == "admin" else hits
    expected = [i for _, i in sorted(matches, reverse=True)]
    for limit in (1, 2, 3, 5, 50):
        seen, cursor = [], None
        while True:
            params = {"q": "яма", "limit": limit, **extra, **({"cursor": cursor} if cursor else {})}
            r = await client.get("/api/v1/tickets", params=params, headers=auth(token))
            assert r.status_code == 200, r.text
            page = r.json()
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == expected, limit
