"""What a column needs from the digest: the week's dates, counts behind every share, what was
answered per theme, districts, hot places by one problem (never social protection), a draft
paragraph — and no one's name, flat or health unless quotes are asked for, and then scrubbed."""

from __future__ import annotations

from app.models.drafts import ApplicantDraft
from app.models.tickets import Ticket, TicketAnswer
from tests.api.test_weekly_digest import day
from tests.support.builders import auth, make_key, make_ticket

URL = "/api/v1/reports/weekly-digest"
LEAKY = (
    "Во дворе дома по ул. Ленина, д. 5, кв. 12 третий день не убран лёд, вчера упала моя "
    "соседка Сидорова Мария, пенсионерка, сломала руку. Тел. 8 924 555 12 34."
)


async def seed(db) -> dict[str, int]:
    nobody = ApplicantDraft(full_name="Кравцова Дарья Олеговна", email="dasha@example.ru")
    specs = [
        ("leaky", "snow", "ул. Ленина, д. 5, кв. 12", 0, LEAKY),
        ("snow2", "snow", "ул. Ленина, д. 5", 1, "Не чистят снег у дома, дети падают"),
        ("pit", "roads", "ул. Ленина, д. 5", 2, "Яма у подъезда на выезде"),
        ("bin", "waste", "ул. Ленина, д. 5", 2, "Контейнер переполнен, мусор по двору"),
        ("heat", "heating", "ул. Садовая, 7", 1, "Холодные батареи, в квартире 14 градусов"),
        ("water", "water", "ул. Садовая, 7", 3, "Нет горячей воды третий день"),
        ("soc1", "social", "ул. Советская, 12", 1, "Не привозят продуктовый набор бабушке"),
        ("soc2", "social", "ул. Советская, 12", 2, "Соцработник не приходит вторую неделю"),
        ("cult", "culture", "ул. Парковая, 3", 4, "Закрыли кружок в доме культуры"),
        ("cult0", "culture", "ул. Парковая, 1", -3, "Нет расписания секций"),
    ]
    ids = {}
    for name, category, address, n, text in specs:
        ticket = await make_ticket(
            db, category_code=category, address=address, text=text, created_at=day(n),
            now=day(n), applicant=nobody,
        )  # fmt: skip
        assert ticket.id is not None
        ids[name] = ticket.id
    async with db.sessionmaker() as session:
        for name, answered, due in (("snow2", day(2), day(3)), ("leaky", day(5), day(4))):
            ticket = await session.get(Ticket, ids[name])
            assert ticket is not None
            ticket.status, ticket.answered_at, ticket.resolution_due_at = "answered", answered, due
            session.add(
                TicketAnswer(
                    ticket_id=ids[name],
                    kind="final",
                    author="test",
                    created_at=answered,
                    text="Уважаемая Дарья Олеговна! Снег вывезен, дорожки посыпаны.",
                )
            )
        await session.commit()
    return ids


async def test_the_digest_carries_what_a_column_needs(client, db, app) -> None:
    app.state.clock = lambda: day(9)
    ids = await seed(db)
    press = auth(await make_key(db, "manager", "press"))
    r = await client.get(URL, params={"week": "2026-W47"}, headers=press)
    assert r.status_code == 200, r.text
    digest = r.json()
    assert digest["dates"] == "16.11.2026–22.11.2026" and digest["total"] == 9
    top = {t["category"]: t for t in digest["top_themes"]}
    snow = top["snow"]
    assert (snow["count"], snow["answered"], snow["answered_judged"], snow["answered_on_time"]) == (
        2, 2, 2, 1,
    )  # fmt: skip
    assert [h["answered_on"] for h in snow["highlights"]] == ["21.11.2026", "18.11.2026"]
    assert {h["address"] for h in snow["highlights"]} == {"ул. Ленина, д. 5"}  # never the flat
    assert all("answer" not in h for h in snow["highlights"])  # quotes off: no answer text
    growing = {t["category"] for t in digest["growing_themes"]}
    assert not growing & set(top)
    # ул. Ленина, д. 5 has snow, snow, a pothole and a bin: one hot place for «Дороги» (snow is
    # a kind of roads) with 3, not 4; heating and water at Садовая, 7 are one «Многоквартирные
    # дома» problem; the two social-protection appeals at Советская, 12 are never listed.
    hot = {(a["address"], a["family"]): a["count"] for a in digest["hot_addresses"]}
    assert hot == {("ул. Ленина, д. 5", "roads"): 3, ("ул. Садовая, 7", "housing"): 2}
    assert "Советская" not in r.text
    districts = {d["name"]: d["count"] for d in digest["districts"]}
    assert districts["Центральный"] >= 4 and districts["Северный"] >= 2
    assert (
        "поступило 9 обращений" in digest["draft"] and "в срок — 50 % (1 из 2)" in digest["draft"]
    )
    for leak in ("Сидорова", "Мария", "кв. 12", "сломала", "555 12 34", "Дарья", "dasha@"):
        assert leak not in r.text, leak
    assert ids  # seeded

    md = await client.get(URL, params={"week": "2026-W47", "format": "md"}, headers=press)
    text = md.text
    assert "# Обращения за неделю 16.11.2026–22.11.2026 (2026-W47)" in text
    assert "в срок 50 % (1 из 2)" in text and "100 %" not in text.replace("100 % (", "")
    assert "## Черновик для колонки «Глава в ответе»" in text and "## Районы" in text
    for leak in ("Сидорова", "Мария", "кв. 12", "сломала", "Дарья"):
        assert leak not in text, leak


async def test_quotes_only_when_asked_and_scrubbed(client, db, app) -> None:
    app.state.clock = lambda: day(9)
    await seed(db)
    admin = auth(await make_key(db, "admin"))
    r = await client.get(URL, params={"week": "2026-W47", "quotes": "true"}, headers=admin)
    digest = r.json()
    assert digest["quotes"] is True
    snow = next(t for t in digest["top_themes"] if t["category"] == "snow")
    texts = " ".join(e["text"] for e in snow["examples"])
    assert "не убран лёд" in texts and "ул. Ленина, д. 5" in texts
    for leak in ("Сидорова", "Мария", "кв. 12", "сломала руку", "555 12 34"):
        assert leak not in texts, leak
    answers = [h["answer"] for h in snow["highlights"]]
    assert answers and all("Снег вывезен" in a and "Дарья" not in a for a in answers)
    social = next(t for t in digest["top_themes"] if t["category"] == "social")
    assert social["examples"] == [] and social["highlights"] == []  # sensitive: never quoted
