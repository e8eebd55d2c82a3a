"""The housing operator's morning in a real headless Chromium (issue 25, items 1, 3 and 5): the
inbox shows every running deadline with a late first answer in red and sorts it first, the
ticket page says why a deadline moved, an old answered ticket is found by its bare number and by
a word of its answer, and «Вернуть» lands on the inbox with «Передано в …».

Screenshots go to build/screenshots/ (`make screenshots` writes the ones docs/CONSOLE.md shows
into docs/)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from app.access.users import create_user
from app.models.common import Role
from app.models.directory import Department
from tests.support.builders import auth, make_key, make_ticket
from tests.support.servers import Process, start_api

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOTS_DIR", "build/screenshots")
PASSWORD = "operator-browser-password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RED = "rgb(163, 0, 27)"  # --red of console.css


async def test_operator_sees_every_deadline_finds_old_tickets_and_returns_one(
    db, database_url, tmp_path
):
    chromium = shutil.which("chromium")
    assert chromium, "install Debian's chromium (scripts/install-test-deps.sh does)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    post = dict(source="incident_management", kind="social_post", channel="vk", priority="high")
    late = await make_ticket(db, **post, department_code="zhkh", now=now - timedelta(days=5))
    moved = await make_ticket(db, **post, department_code="zhkh", now=now - timedelta(days=5))
    calm = await make_ticket(db, department_code="zhkh")
    appeal = await make_ticket(db, kind="fz59_appeal", channel="mail", department_code="zhkh")
    old = await make_ticket(db, department_code="zhkh", now=now - timedelta(days=60))
    wrong = await make_ticket(db, department_code="zhkh", text="Яма на дороге у школы №3")
    async with db.sessionmaker() as session:
        await create_user(
            session, login="zhkh-op", password=PASSWORD, role=Role.operator,
            department_code="zhkh", name="Мария Жилкова",
        )  # fmt: skip
        roads = await session.get(Department, "roads")
        assert roads is not None
        roads_name = roads.name
        await session.commit()
    api, base = start_api(
        database_url, tmp_path, APPEALS_CONSOLE_SESSION_SECRET="operator-browser-test-secret"
    )
    processes: list[Process] = [api]
    try:
        token = await make_key(db, Role.operator, "zhkh")
        async with httpx.AsyncClient(base_url=base, headers=auth(token), timeout=30) as hub:
            for ticket, text, kind in (
                (moved, "Приняли, мастер придёт на неделе.", "interim"),
                (old, "Стояк заменили, протечка устранена силами управляющей компании.", "final"),
            ):
                r = await hub.post(
                    f"/api/v1/tickets/{ticket.id}/answers", json={"text": text, "kind": kind}
                )
                assert r.status_code == 201, r.text

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = await browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="ru-RU"
            )
            page = await context.new_page()
            await page.goto(base + "/console")
            await page.get_by_label("Логин").fill("zhkh-op")
            await page.get_by_label("Пароль").fill(PASSWORD)
            await page.get_by_role("button", name="Войти").click()
            await page.wait_for_url(base + "/console")

            # 1. Every running deadline on the row; a late first answer is red; nearest first.
            rows = page.locator("li.ticket-row")
            await rows.first.wait_for()
            first = rows.first
            assert await first.locator("a.num").inner_text() == late.number
            chip = first.locator(".due", has_text="первый ответ")
            assert "просрочено на" in await chip.inner_text()
            assert await chip.evaluate("e => getComputedStyle(e).color") == RED
            assert "приоритет высокий" in await first.inner_text()
            calm_row = rows.filter(has_text=calm.number)
            assert "первый ответ: осталось" in await calm_row.inner_text()
            appeal_row = rows.filter(has_text=appeal.number)
            assert "решение (срок по 59-ФЗ): осталось" in await appeal_row.inner_text()
            await page.screenshot(
                path=str(SCREENSHOTS / "console-operator-inbox.png"), full_page=True
            )

            # 1. The ticket page: each target with its state, and why the deadline moved.
            await page.get_by_role("link", name=moved.number).click()
            await page.wait_for_url(f"{base}/console/tickets/{moved.id}")
            deadlines = page.locator("ul.deadlines")
            assert "первый ответ: дан с опозданием" in await deadlines.inner_text()
            main = await page.locator("main").inner_text()
            assert (
                "после промежуточного ответа — окончательный ответ в течение 7 рабочих дней" in main
            )
            assert "приоритет высокий" in main
            await page.screenshot(
                path=str(SCREENSHOTS / "console-operator-ticket.png"), full_page=True
            )

            # 5. The old answered ticket: by its bare number among all statuses…
            await page.goto(base + "/console")
            seq = str(int(old.number.rsplit("-", 1)[1]))
            await page.get_by_label("Поиск: номер, текст, ответы").fill(seq)
            await page.get_by_label("Статус").select_option(label="все статусы")
            await page.get_by_role("button", name="Показать").click()
            await page.wait_for_url("**/console?*status=all*")
            assert await rows.count() == 1
            assert await rows.first.locator("a.num").inner_text() == old.number
            # …and by a word of its answer, in another form.
            await page.get_by_label("Поиск: номер, текст, ответы").fill("стояка протечки")
            await page.get_by_role("button", name="Показать").click()
            await page.wait_for_url("**/console?*q=*")
            assert await rows.count() == 1
            assert await rows.first.locator("a.num").inner_text() == old.number
            await page.screenshot(
                path=str(SCREENSHOTS / "console-operator-search.png"), full_page=True
            )

            # 3. «Вернуть» to roads: back to the inbox with «Передано в …», not «не найдено».
            await page.goto(f"{base}/console/tickets/{wrong.id}")
            await page.get_by_label("Почему не наше").fill("это дорога, не дом")
            await page.get_by_label("Правильный отдел").select_option(label=roads_name)
            await page.get_by_role("button", name="Вернуть", exact=True).click()
            await page.wait_for_url(f"{base}/console?done=passed&to=roads")
            status = page.locator("p.alert.ok")
            assert await status.inner_text() == f"Передано в «{roads_name}»."
            assert "не найдено" not in await page.locator("main").inner_text()
            assert await rows.filter(has_text=wrong.number).count() == 0
            await browser.close()
    finally:
        for proc in processes:
            proc.stop()
