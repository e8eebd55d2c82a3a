"""The public figures say what they count (issue 25, black-box re-check): «в срок» is about the
tickets received in the month — the page's explanation, its column and the CSV headers say so,
not «ответы этого месяца»; a wrong month is a page in Russian for a browser and a problem+json
for a script; shares round half up (5 of 8 is 63 %, not 62 %)."""

from __future__ import annotations

import csv
import io

from app.models.tickets import Ticket
from tests.api.test_public_stats import at
from tests.support.builders import make_ticket

URL = "/public/v1/stats"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def seed_five_of_eight(db) -> None:
    """November: eight tickets received and answered, five by their deadline; no answer is
    given in November to anything else, so «Дано ответов» is 8 as well."""
    for n in range(8):
        created = at(11, 2 + n)
        made = await make_ticket(db, created_at=created, now=created)
        async with db.sessionmaker() as session:
            row = await session.get(Ticket, made.id)
            assert row is not None
            row.status, row.answered_at = "answered", at(11, 12 + n)
            row.resolution_due_at = at(11, 25) if n < 5 else at(11, 11)
            await session.commit()


async def test_the_page_and_the_csv_say_what_on_time_counts(client, db, app) -> None:
    app.state.clock = lambda: at(11, 28)
    await seed_five_of_eight(db)
    params = {"from": "2026-11", "to": "2026-11"}
    page = await client.get(URL, params=params, headers=BROWSER)
    assert page.status_code == 200
    html = page.text
    assert "ответы этого месяца, данные до срока" not in html  # the old, wrong explanation
    assert "из обращений, полученных в этом месяце" in html
    assert "Поступившие: ответ в срок" in html and "«Дано ответов» — ответы, данные в этом" in html
    assert "63 % (5 из 8)" in html and "62 %" not in html  # half rounded up
    body = (await client.get(URL, params={**params, "format": "csv"})).content.decode("utf-8-sig")
    header = body.splitlines()[0].split(";")
    assert "Ответов со сроком" not in header
    assert "Поступивших с итогом по сроку" in header and "Из них ответ в срок" in header
    rows = csv.DictReader(io.StringIO(body), delimiter=";")
    line = next(r for r in rows if r["Код отдела"] == "roads")
    assert line["Ответ в срок, % от поступивших с итогом"] == "62,5"  # one decimal in the data


async def test_a_wrong_month_is_a_russian_page_for_a_browser(client, db, app) -> None:
    app.state.clock = lambda: at(11, 28)
    for query, reason in (
        ("from=2026-13", "месяц указан неверно"),
        ("from=2026-1", "месяц указан неверно"),
        ("from=2026-11&to=2026-01", "месяц «с» позже месяца «по»"),
        ("to=1999-12", "между 2000 и 2100"),
    ):
        page = await client.get(f"{URL}?{query}", headers=BROWSER)
        assert page.status_code == 422, query
        assert page.headers["content-type"].startswith("text/html"), query
        assert '<html lang="ru">' in page.text and reason in page.text, query
        assert "Validation failed" not in page.text and "must" not in page.text
        script = await client.get(f"{URL}?{query}")
        assert script.status_code == 422
        assert script.headers["content-type"].startswith("application/problem+json"), query
    explicit = await client.get(f"{URL}?from=2026-13&format=html")
    assert explicit.status_code == 422 and "месяц указан неверно" in explicit.text
    assert "<code>2026-13</code>" in explicit.text
