"""Mass incidents in a real headless Chromium (Debian's ``chromium``, driven by Playwright)
against a real uvicorn api: detection has opened a suspected incident over a wave of appeals;
an operator of the department finds it under «Инциденты», confirms it, publishes an interim
message to every citizen, and sees what it did per ticket. Screenshots go to
build/screenshots/; `make screenshots` runs this test with SCREENSHOTS_DIR=docs to refresh the
ones docs/CONSOLE.md shows."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import async_playwright

from app.access.users import create_user
from app.models.common import Role
from tests.e2e.test_console_browser import CHROMIUM_ARGS
from tests.support.incidents import run_detection, wave
from tests.support.servers import start_api

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOTS_DIR", "build/screenshots")
PASSWORD = "browser-test-password"
MESSAGE = "Авария на водоводе по ул. Ленина. Воду подадут к 18:00, приносим извинения."


async def test_an_operator_confirms_an_incident_and_tells_everyone(db, database_url, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "install Debian's chromium (scripts/install-test-deps.sh does)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    tickets = await wave(db, 12, now=now)
    [incident] = await run_detection(db, now)
    async with db.sessionmaker() as session:
        await create_user(
            session, login="operator1", password=PASSWORD, role=Role.operator,
            department_code="zhkh", name="Анна Операторова",
        )  # fmt: skip
        await session.commit()
    api, base = start_api(
        database_url, tmp_path, APPEALS_CONSOLE_SESSION_SECRET="incidents-browser-test-secret"
    )
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="ru-RU"
            )
            page = await context.new_page()
            await page.goto(base + "/console/login")
            await page.get_by_label("Логин").fill("operator1")
            await page.get_by_label("Пароль").fill(PASSWORD)
            await page.get_by_role("button", name="Войти").click()
            await page.wait_for_url(base + "/console")

            await page.get_by_role("navigation").get_by_role("link", name="Инциденты").click()
            await page.wait_for_url(base + "/console/incidents")
            row = page.get_by_role("row").filter(has_text=incident.title)
            assert "предполагаемый" in await row.inner_text()
            assert "12" in await row.locator("td.num").inner_text()
            await page.screenshot(path=str(SCREENSHOTS / "console-incidents.png"), full_page=True)

            await page.get_by_role("link", name=incident.title).click()
            await page.wait_for_url(f"{base}/console/incidents/{incident.id}")
            main = page.locator("main")
            assert tickets[0].number in await main.inner_text()
            await page.get_by_label("Название (можно уточнить)").fill("Нет воды на ул. Ленина")
            await page.get_by_role("button", name="Подтвердить инцидент").click()
            await page.wait_for_url(f"**/console/incidents/{incident.id}?done=confirmed")
            assert "Инцидент подтверждён" in await main.inner_text()

            await page.get_by_label("Текст (уйдёт каждому", exact=False).fill(MESSAGE)
            await page.get_by_role("radio", name="промежуточное (работы идут)").check()
            await page.get_by_role("button", name="Опубликовать", exact=False).click()
            await page.wait_for_url(f"**/console/incidents/{incident.id}?done=published")
            text = await main.inner_text()
            assert "Сообщение опубликовано" in text and MESSAGE in text
            assert "Отправлено: 12" in text and "устраняется" in text
            await page.get_by_text("По обращениям").click()  # the per-ticket outcomes
            await page.screenshot(path=str(SCREENSHOTS / "console-incident.png"), full_page=True)

            # The ticket page says which incident it belongs to.
            await page.get_by_role("link", name=tickets[0].number).first.click()
            await page.wait_for_url(f"{base}/console/tickets/{tickets[0].id}")
            note = page.get_by_role("note")
            assert "Нет воды на ул. Ленина" in await note.inner_text()
            await browser.close()
    finally:
        api.stop()
