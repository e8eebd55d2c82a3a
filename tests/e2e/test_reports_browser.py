"""The report pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright)
against a real uvicorn api: the press officer reads and downloads the weekly digest with her
console session (no API key) and finds no name, flat or diagnosis in it; the head of
administration reads the overview with its server-drawn SVG bars and counts. Screenshots go to
build/screenshots/; `make screenshots` writes them to docs/ (docs/CONSOLE.md shows them)."""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import async_playwright

from app.access.users import create_user
from app.models.common import Role
from app.models.drafts import ApplicantDraft
from app.models.feedback import TicketFeedback
from app.models.tickets import Ticket
from tests.e2e.test_console_browser import CHROMIUM_ARGS, SCREENSHOTS
from tests.support.builders import make_ticket
from tests.support.servers import start_api

PASSWORD = "reports-browser-password"
LEAKY = (
    "Во дворе дома по ул. Ленина, д. 5, кв. 12 третий день не убран лёд, вчера упала моя "
    "соседка Сидорова Мария, пенсионерка, сломала руку. Звоните 8 924 555 12 34."
)
LEAKS = ("Сидорова", "Мария", "кв. 12", "сломала руку", "555 12 34", "Кравцова")


async def seed(db) -> None:
    now = datetime.now(UTC)
    person = ApplicantDraft(full_name="Кравцова Дарья Олеговна", phone="+79241112233")
    made = []
    for category, address, text in (
        ("snow", "ул. Ленина, д. 5, кв. 12", LEAKY),
        ("snow", "ул. Ленина, д. 5", "Не чистят снег у дома, дети падают"),
        ("roads", "ул. Садовая, 7", "Яма у подъезда на выезде со двора"),
        ("water", "ул. Садовая, 9", "Нет горячей воды третий день"),
    ):
        made.append(
            await make_ticket(
                db,
                category_code=category,
                address=address,
                text=text,
                applicant=person,
                created_at=now,
                now=now,
            )
        )
    async with db.sessionmaker() as session:
        on_time = await session.get(Ticket, made[1].id)
        late = await session.get(Ticket, made[2].id)
        assert on_time is not None and late is not None
        on_time.status, on_time.answered_at = "answered", now
        on_time.resolution_due_at = now + timedelta(days=1)
        late.status, late.resolution_due_at = "in_progress", now - timedelta(minutes=1)
        session.add(
            TicketFeedback(
                ticket_id=on_time.id,
                answer_key=0,
                source="api",
                source_value="5",
                sentiment="positive",
                score=5,
                department_code=on_time.department_code,
                actor="test",
                created_at=now,
                updated_at=now,
            )
        )
        for login, role, dept, name in (
            ("press1", Role.manager, "press", "Ольга Пресс-секретарь"),
            ("glava", Role.admin, None, "Глава администрации"),
        ):
            await create_user(
                session, login=login, password=PASSWORD, role=role, department_code=dept,
                name=name,
            )  # fmt: skip
        await session.commit()


async def sign_in(page, base: str, login: str) -> None:
    await page.goto(base + "/console/login")
    await page.get_by_label("Логин").fill(login)
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await page.wait_for_url(base + "/console")


async def test_press_downloads_the_digest_and_the_head_reads_the_overview(
    db, database_url, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "install Debian's chromium (scripts/install-test-deps.sh does)"
    await seed(db)
    api, base = start_api(
        database_url, tmp_path, APPEALS_CONSOLE_SESSION_SECRET="reports-browser-test-secret"
    )
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            press = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="ru-RU", accept_downloads=True
            )
            page = await press.new_page()
            await sign_in(page, base, "press1")
            await page.get_by_role("link", name="Дайджест").click()
            await page.wait_for_url(base + "/console/digest")
            main = await page.locator("main").inner_text()
            assert re.search(r"\d\d\.\d\d\.\d{4}–\d\d\.\d\d\.\d{4}", main), main[:300]
            assert "Черновик для колонки" in main and "весь город" in main
            assert "100 % (1 из 1)" in main  # the snow answer, on time: a share with its counts
            for leak in LEAKS:
                assert leak not in main, leak
            await page.screenshot(path=str(SCREENSHOTS / "console-digest.png"), full_page=True)

            async with page.expect_download() as info:
                await page.get_by_role("link", name="Скачать (Markdown)").click()
            download = await info.value
            saved = Path(await download.path())
            text = await asyncio.to_thread(saved.read_text, encoding="utf-8")
            assert download.suggested_filename.startswith("digest-")
            assert text.startswith("# Обращения за неделю ")
            for leak in LEAKS:
                assert leak not in text, leak

            # Quotes only when asked for, and then scrubbed.
            await page.get_by_label("С цитатами (без имён, квартир и диагнозов)").check()
            await page.get_by_role("button", name="Показать").click()
            await page.wait_for_url("**/console/digest?*quotes=true*")
            quoted = await page.locator("main").inner_text()
            assert "не убран лёд" in quoted and "ул. Ленина, д. 5" in quoted
            for leak in LEAKS:
                assert leak not in quoted, leak

            head = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="ru-RU"
            )
            page = await head.new_page()
            await sign_in(page, base, "glava")
            await page.get_by_role("link", name="Сводка").click()
            await page.wait_for_url(base + "/console/overview")
            assert await page.locator("main svg.chart").count() == 3
            assert await page.locator("main svg rect.bar").count() >= 5
            row = page.get_by_role("row", name=re.compile("Отдел дорог и транспорта"))
            cells = await row.locator("td").all_inner_texts()
            # roads: the snow answer on time, the pothole overdue (which of its deadlines beside);
            # one rating, positive; nothing last month
            assert cells == [
                "1", "решение: 1", "50 % (1 из 2)", "нет данных", "100 % (1 из 1)", "нет данных",
            ]  # fmt: skip
            box = await page.locator("main svg.chart").first.bounding_box()
            assert box is not None and box["width"] > 300  # drawn, not collapsed
            await page.screenshot(path=str(SCREENSHOTS / "console-overview.png"), full_page=True)
            await page.emulate_media(media="print")
            assert not await page.locator("header.top").is_visible()  # print: no menu

            # The open figures: a browser gets the page, not raw JSON.
            public = await browser.new_page(locale="ru-RU")
            response = await public.goto(base + "/public/v1/stats")
            assert response is not None and response.headers["content-type"].startswith("text/html")
            assert await public.locator("svg.chart").count() == 2
            assert "Весь город по месяцам" in await public.locator("main").inner_text()
            await public.screenshot(path=str(SCREENSHOTS / "public-stats.png"), full_page=False)
            await browser.close()
    finally:
        api.stop()
