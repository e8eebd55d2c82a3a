"""Irreversible steps and compact rows in a real headless Chromium (issue 25, items 6 and 8).

Against a real uvicorn api: the inbox fits ten and more tickets on a 1366×768 screen and folds
its filters on a phone; a final answer is sent only once confirmed (and the text typed survives
the refusal); a suggested duplicate says why it was suggested and is merged only with its box
ticked; a duplicate the system did not suggest is marked by number. Screenshots go to
build/screenshots/ (`make screenshots`: docs/)."""

from __future__ import annotations

import shutil

from playwright.async_api import Page, async_playwright
from sqlmodel import select

from app.access.users import create_user
from app.models.common import Role
from app.models.routing import DuplicateSuggestion
from tests.e2e.test_console_browser import CHROMIUM_ARGS, SCREENSHOTS
from tests.support.builders import make_ticket
from tests.support.servers import Process, start_api

PASSWORD = "browser-safety-password"
TEXTS = (
    "Яма на проезжей части у остановки, машины объезжают по встречной полосе уже неделю",
    "Не горит фонарь во дворе, вечером темно и опасно ходить детям из школы",
    "Сломан светофор на перекрёстке, горит только жёлтый, водители не знают кто главный",
    "На тротуаре наледь, пожилые люди падают, просим посыпать песком до выходных",
)


async def sign_in(page: Page, base: str) -> None:
    await page.goto(base + "/console")
    await page.get_by_label("Логин").fill("bezopasno")
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await page.wait_for_url(base + "/console")


async def rows_on_first_screen(page: Page) -> int:
    """Inbox rows wholly inside the first screen (no scrolling)."""
    height = await page.evaluate("window.innerHeight")
    boxes = [await row.bounding_box() for row in await page.locator("li.ticket-row").all()]
    return sum(1 for b in boxes if b is not None and b["y"] + b["height"] <= height)


async def test_confirmations_reasons_and_compact_rows(db, database_url, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "install Debian's chromium (scripts/install-test-deps.sh does)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    api, base = start_api(
        database_url, tmp_path, APPEALS_CONSOLE_SESSION_SECRET="console-safety-browser-secret"
    )
    processes: list[Process] = [api]
    try:
        async with db.sessionmaker() as session:
            await create_user(session, login="bezopasno", password=PASSWORD, role=Role.operator,
                              department_code="roads", name="Вера Осторожная")  # fmt: skip
            await session.commit()
        tickets = [
            await make_ticket(db, department_code="roads", text=f"{TEXTS[i % 4]} ({i + 1})")
            for i in range(14)
        ]
        # Two reports 224 m apart (different houses); a third, the same pothole, unsuggested.
        lenina = {"department_code": "roads", "category_code": "roads"}
        five = {"lat": 55.7500, "lon": 37.6100, "address": "ул. Ленина, д. 5"}
        main = await make_ticket(db, **lenina, **five, text="Яма у дома 5 по Ленина")
        thirty_one = {"lat": 55.7519, "lon": 37.6112, "address": "ул. Ленина, д. 31"}
        dup = await make_ticket(db, **lenina, **thirty_one, text="Яма у дома 31 по Ленина")
        async with db.sessionmaker() as session:
            # Suggested, unless detection already did (then with the reasons it measured).
            pair = (
                DuplicateSuggestion.ticket_id == dup.id,
                DuplicateSuggestion.candidate_id == main.id,
            )
            if (await session.exec(select(DuplicateSuggestion).where(*pair))).first() is None:
                session.add(DuplicateSuggestion(ticket_id=dup.id, candidate_id=main.id, score=0.6))
            await session.commit()
        answered, unsuggested = tickets[0], tickets[1]

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = await browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="ru-RU"
            )
            page = await context.new_page()
            await sign_in(page, base)
            main_text = await page.locator("main").inner_text()
            assert "Найдено: 16" in main_text
            # Filters are shown on a wide screen, folded or not.
            assert await page.get_by_label("Категория").is_visible()
            await page.screenshot(path=str(SCREENSHOTS / "console-inbox-compact.png"))
            assert await rows_on_first_screen(page) >= 11

            # A final answer is sent only once confirmed; the typed text survives.
            await page.goto(f"{base}/console/tickets/{answered.id}")
            text = "Яму заделали горячим асфальтом, проверьте, пожалуйста."
            await page.get_by_label("Текст ответа").fill(text)
            await page.get_by_role("radio", name="окончательный (работа завершена)").check()
            await page.get_by_role("button", name="Отправить ответ").click()
            await page.get_by_role("alert").wait_for()
            alert = await page.get_by_role("alert").inner_text()
            assert "отменить его нельзя" in alert, alert
            assert await page.get_by_label("Текст ответа").input_value() == text
            assert "Ответов пока нет." in await page.locator("main").inner_text()
            await page.screenshot(
                path=str(SCREENSHOTS / "console-answer-confirm.png"), full_page=True
            )
            await page.get_by_label("Я подтверждаю: ответ окончательный", exact=False).check()
            await page.get_by_role("button", name="Отправить ответ").click()
            await page.wait_for_url(f"**/console/tickets/{answered.id}?done=answered")
            assert text in await page.locator("main").inner_text()

            # A suggested duplicate says why; merging waits for the box.
            await page.goto(f"{base}/console/tickets/{dup.id}")
            why = await page.locator("p.why").inner_text()
            assert "места в 224 м друг от друга" in why, why
            await page.screenshot(
                path=str(SCREENSHOTS / "console-duplicate-why.png"), full_page=True
            )
            button = page.get_by_role("button", name=f"Это дубликат {main.number}")
            await button.click()  # the browser refuses: the box is required
            assert page.url == f"{base}/console/tickets/{dup.id}"
            await page.get_by_label(f"Я подтверждаю, что это дубликат {main.number}",
                                    exact=False).check()  # fmt: skip
            await button.click()
            await page.wait_for_url(f"**/console/tickets/{dup.id}?done=merged")

            # A duplicate the system did not suggest, marked by its main ticket's number.
            await page.goto(f"{base}/console/tickets/{unsuggested.id}")
            await page.get_by_label("Номер основного обращения").fill(tickets[5].number.lower())
            await page.locator("#merge-number-confirm").check()
            await page.get_by_role("button", name="Отметить дубликатом").click()
            await page.wait_for_url(f"**/console/tickets/{unsuggested.id}?done=merged")
            shown = await page.locator("main").inner_text()
            assert f"Дубликат обращения {tickets[5].number}" in shown

            # On a phone the filters fold away and the first tickets are on the first screen.
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, locale="ru-RU", is_mobile=True
            )
            await phone.add_cookies(await context.cookies())
            mobile = await phone.new_page()
            await mobile.goto(base + "/console")
            assert await mobile.get_by_text("Поиск и фильтры").is_visible()
            assert not await mobile.get_by_label("Категория").is_visible()
            assert await rows_on_first_screen(mobile) >= 4
            await mobile.screenshot(path=str(SCREENSHOTS / "console-phone-compact.png"))
            await mobile.get_by_text("Поиск и фильтры").click()
            assert await mobile.get_by_label("Категория").is_visible()
            await browser.close()
    finally:
        for proc in processes:
            proc.stop()
