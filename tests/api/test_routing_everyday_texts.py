"""Everyday texts an outside tester wrote, routed by the example city's rules as stored in
PostgreSQL (`/api/v1/routing/explain`, a phone call without a category)."""

from __future__ import annotations

import pytest

from tests.support.builders import auth, make_key


@pytest.mark.parametrize(
    ("text", "department", "says"),
    [
        # a misspelt problem («светафор») beats a landmark named in passing
        ("светафор у детского сада моргает желтым уже неделю", "roads", "written «светафор»"),
        ("отопленя нет в квартире холодина", "zhkh", "written «отопленя»"),
        # of two problems, the one named first
        ("Прорвало трубу во дворе, вода хлещет на дорогу", "zhkh", "comes earlier in the text"),
        # police matters outrank «торговать», «подъезд»
        ("Участковый не реагирует на вызовы, соседи торгуют наркотиками", "press", "наркотики"),
        ("Соседи торгуют наркотиками в подъезде", "press", "a matter for its own body"),
        # everyday housing vocabulary
        ("по стене нашего дома пошла трещина", "zhkh", "трещина в стене"),
        ("Низкое давление воды на верхних этажах", "zhkh", "давление воды"),
        ("Давление воды слабое", "zhkh", "давление воды"),
    ],
)
async def test_everyday_texts_reach_the_department_that_acts(client, db, text, department, says):
    token = auth(await make_key(db, "operator", "press"))
    payload = {"text": text, "category": "other", "channel": "phone"}
    r = await client.post("/api/v1/routing/explain", json=payload, headers=token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["department"], body["method"]) == (department, "rule"), body["reason"]
    assert says in body["reason"]
