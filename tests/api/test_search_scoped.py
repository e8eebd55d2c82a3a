"""A search within one department goes through the department|lemma index (migration 0019) and
finds exactly what the same search across departments finds there: words, phrases, `or` and
`-word` alike (the index only narrows searches whose every word must be present)."""

from __future__ import annotations

import pytest

from tests.support.builders import auth, make_key, make_ticket

TEXTS = [
    ("roads", "Глубокая яма на дороге, рядом открытый люк"),
    ("roads", "Яма у остановки"),
    ("roads", "Открытый люк во дворе"),
    ("roads", "Люк и яма, но не рядом: яма дальше по улице"),
    ("water", "Яма после ремонта трубы"),  # zhkh: never shown to a roads operator
    ("roads", "Не горит фонарь"),
]
QUERIES = ["яма", "ямы люк", '"открытый люк"', "яма or фонарь", "яма -люк", "мусор", "люк яма"]


@pytest.mark.parametrize("q", QUERIES)
async def test_a_department_finds_what_the_city_wide_search_finds_in_it(client, db, q):
    made = {}
    for category, text in TEXTS:
        made[(await make_ticket(db, text=text, category_code=category)).id] = category
    operator = await make_key(db, "operator", "roads")
    admin = await make_key(db, "admin")

    async def ids(token: str, **params: str) -> list[int]:
        r = await client.get("/api/v1/tickets", params={"q": q, **params}, headers=auth(token))
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["items"]]

    everywhere = await ids(admin)
    in_roads = [i for i in everywhere if made[i] == "roads"]
    assert await ids(operator) == in_roads
    assert await ids(admin, department="roads") == in_roads
    assert await ids(operator, limit="1") == in_roads[:1]
