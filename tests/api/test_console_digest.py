"""The digest in the console for the press service: a signed-in browser reads, prints and
downloads it (no API key, no 401); nobody's name, flat or health in it."""

from __future__ import annotations

from app.models.common import Role
from tests.api.test_console import make_user, sign_in
from tests.api.test_weekly_digest import day
from tests.api.test_weekly_digest_column import seed

LEAKS = ("Сидорова", "Мария", "кв. 12", "сломала", "555 12 34", "Дарья", "dasha@")


async def test_press_reads_and_downloads_the_digest(client, db, app) -> None:
    app.state.clock = lambda: day(9)
    await seed(db)
    await make_user(db, "press1", Role.manager, "press")
    assert (await sign_in(client, "press1")).status_code == 303
    page = await client.get("/console/digest", params={"week": "2026-W47"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "16.11.2026–22.11.2026" in html and "весь город" in html
    assert "50 % (1 из 2)" in html and "Черновик для колонки" in html
    assert 'href="/console/digest.md?week=2026-W47"' in html
    assert "Советская" not in html  # social protection: never a hot address
    for leak in LEAKS:
        assert leak not in html, leak
    download = await client.get("/console/digest.md", params={"week": "2026-W47"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/markdown")
    assert 'filename="digest-2026-W47.md"' in download.headers["content-disposition"]
    assert download.text.startswith("# Обращения за неделю 16.11.2026–22.11.2026 (2026-W47)")
    for leak in LEAKS:
        assert leak not in download.text, leak
    quoted = await client.get("/console/digest", params={"week": "2026-W47", "quotes": "true"})
    assert "не убран лёд" in quoted.text
    for leak in LEAKS:
        assert leak not in quoted.text, leak
    bad = await client.get("/console/digest", params={"week": "2026-W60"})
    assert bad.status_code == 422 and "Неделя указана неверно" in bad.text


async def test_a_department_manager_sees_their_own_department_only(client, db, app) -> None:
    app.state.clock = lambda: day(9)
    await seed(db)
    await make_user(db, "roads1", Role.manager, "roads")
    await sign_in(client, "roads1")
    own = await client.get("/console/digest", params={"week": "2026-W47"})
    assert own.status_code == 200 and "Отдел дорог и транспорта" in own.text
    other = await client.get("/console/digest", params={"week": "2026-W47", "department": "zhkh"})
    assert other.status_code == 403 and "другого отдела" in other.text
