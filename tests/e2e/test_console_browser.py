"""The console in a real headless Chromium (Debian's ``chromium``, driven by Playwright) against
a real uvicorn api, the IM simulator and a worker: sign in, see the pushed post, answer it, and
the answer reaches the simulator. Screenshots go to build/screenshots/; `make screenshots` runs
this test with SCREENSHOTS_DIR=docs to refresh the ones docs/CONSOLE.md shows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from app.access.users import create_user
from app.models.common import Role
from tests.support.builders import auth, make_key, make_ticket
from tests.support.loop import APPEALS, IM_SECRET, start_simulator, until
from tests.support.servers import Process, app_env, start_api

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOTS_DIR", "build/screenshots")
PASSWORD = "browser-test-password"


def im_worker(database_url: str, im_url: str, tmp_path: Path) -> Process:
    """The worker: its outbox relay posts answers to the IM simulator."""
    env = app_env(
        database_url,
        APPEALS_INCIDENT_MANAGEMENT_URL=im_url,
        APPEALS_INCIDENT_MANAGEMENT_OUTBOUND_SECRET=IM_SECRET,
        APPEALS_OUTBOX_INTERVAL_SECONDS="0.2",
        APPEALS_OUTBOX_BACKOFF_BASE_SECONDS="0.5",
        APPEALS_OUTBOX_BACKOFF_CAP_SECONDS="3",
    )
    return Process([APPEALS, "worker"], env, tmp_path / "worker.log")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_operator_answers_a_pushed_post_in_the_browser(db, database_url, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "install Debian's chromium (scripts/install-test-deps.sh does)"
    api, base = start_api(
        database_url,
        tmp_path,
        APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS=IM_SECRET,
        APPEALS_CONSOLE_SESSION_SECRET="console-browser-test-secret",
    )
    processes: list[Process] = [api]
    try:
        env = app_env(database_url)
        im, im_url = start_simulator(
            "incident-management", base + "/api/v1/webhooks/incident-management", IM_SECRET,
            tmp_path, env, count=8, seed=3,
        )  # fmt: skip
        processes.insert(0, im)
        admin = await make_key(db, Role.admin)
        async with (
            httpx.AsyncClient(base_url=base, headers=auth(admin), timeout=30) as hub,
            httpx.AsyncClient(timeout=30) as sims,
        ):

            async def pushed() -> list[dict] | None:
                if not (await sims.get(im_url + "/simulator/stats")).json()["done"]:
                    return None
                r = await hub.get("/api/v1/tickets", params={"source": "incident_management"})
                items = [t for t in r.json()["items"] if t["status"] in ("new", "routed")]
                return items or None

            tickets = await until(pushed, "the simulator's posts to become tickets")
            post = tickets[0]
            dept = post["department"]
            other_dept = "culture" if dept != "culture" else "education"
            other = await make_ticket(db, department_code=other_dept)
            waiting = await make_ticket(db, department_code=dept)  # a phone call, recorded by hand
            async with db.sessionmaker() as session:
                await create_user(
                    session, login="operator1", password=PASSWORD, role=Role.operator,
                    department_code=dept, name="Анна Операторова",
                )  # fmt: skip
                await session.commit()
            processes.insert(0, im_worker(database_url, im_url, tmp_path))
            answer_text = f"Здравствуйте! По обращению {post['number']} работы выполнены."

            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                context = await browser.new_context(
                    viewport={"width": 1280, "height": 900}, locale="ru-RU"
                )
                page = await context.new_page()
                await page.goto(base + "/console")
                assert page.url.endswith("/console/login")
                await page.get_by_label("Логин").fill("operator1")
                await page.get_by_label("Пароль").fill(PASSWORD)
                await page.get_by_role("button", name="Войти").click()
                await page.wait_for_url(base + "/console")
                row = page.get_by_role("link", name=post["number"])
                await row.wait_for()
                await page.screenshot(path=str(SCREENSHOTS / "console-inbox.png"), full_page=True)

                await row.click()
                await page.wait_for_url(f"{base}/console/tickets/{post['id']}")
                assert post["text"][:40] in await page.locator("main").inner_text()
                await page.get_by_label("Текст ответа").fill(answer_text)
                await page.screenshot(path=str(SCREENSHOTS / "console-ticket.png"), full_page=True)
                # The kind is chosen explicitly and a final answer is confirmed (issue 25).
                await page.get_by_role("radio", name="окончательный (работа завершена)").check()
                await page.get_by_label("Я подтверждаю: ответ окончательный", exact=False).check()
                await page.get_by_role("button", name="Отправить ответ").click()
                await page.wait_for_url(f"**/console/tickets/{post['id']}?done=answered")
                main = await page.locator("main").inner_text()
                assert "Ответ сохранён" in main and answer_text in main
                assert "Анна Операторова" in main and "user:operator1" not in main

                async def delivered() -> dict | None:
                    got = (await sims.get(im_url + "/simulator/received")).json()["answers"]
                    return next((a for a in got if a["text"] == answer_text), None)

                received = await until(delivered, "the answer at the IM simulator")
                assert received["source_id"] == post["source_id"]

                # Another department's ticket is "not found" for this operator.
                response = await page.goto(f"{base}/console/tickets/{other.id}")
                assert response is not None and response.status == 404
                assert "не найдено" in await page.locator("h1").inner_text()

                # A form posted without the CSRF token (with the session cookie) is refused.
                refused = await context.request.post(
                    f"{base}/console/tickets/{post['id']}/answer",
                    form={"text": "подделка", "kind": "interim"},
                    max_redirects=0,
                )
                assert refused.status == 403

                # The same pages on a phone screen.
                phone = await browser.new_context(
                    viewport={"width": 390, "height": 844}, locale="ru-RU", is_mobile=True
                )
                await phone.add_cookies(await context.cookies())
                mobile = await phone.new_page()
                # The answered post has left the inbox (open tickets only); the others wait.
                await mobile.goto(base + "/console")
                await mobile.get_by_role("heading", name="Входящие").wait_for()
                assert mobile.url == base + "/console"
                assert post["number"] not in await mobile.locator("main").inner_text()
                await mobile.get_by_role("link", name=waiting.number).wait_for()
                await mobile.screenshot(
                    path=str(SCREENSHOTS / "console-phone.png"), full_page=False
                )
                await browser.close()
            r = await hub.get(f"/api/v1/tickets/{post['id']}/answers")
            assert [a["text"] for a in r.json()] == [answer_text]
    finally:
        for proc in processes:
            proc.stop()
