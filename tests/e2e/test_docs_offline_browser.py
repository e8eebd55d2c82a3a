"""/docs and /redoc render in a real Chromium that may reach nothing but the app: every request
to another host is refused and recorded, and none is made."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

from playwright.async_api import Route, async_playwright

from tests.e2e.test_console_browser import CHROMIUM_ARGS
from tests.support.servers import start_api


async def test_docs_render_with_no_way_out(database_url, tmp_path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "install Debian's chromium (scripts/install-test-deps.sh does)"
    api, base = start_api(database_url, tmp_path)
    elsewhere: list[str] = []

    async def only_the_app(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == urlsplit(base).netloc or url.startswith("data:"):
            await route.continue_()
        else:
            elsewhere.append(url)
            await route.abort()

    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = await browser.new_context()
            await context.route("**/*", only_the_app)
            page = await context.new_page()
            await page.goto(base + "/docs")
            # Swagger UI drew the operations from /openapi.json.
            await page.locator(".opblock-summary-path", has_text="/api/v1/tickets").first.wait_for()
            await page.goto(base + "/redoc")
            await page.get_by_text("/api/v1/reports/sla").first.wait_for(state="attached")
            await browser.close()
    finally:
        api.stop()
    assert elsewhere == []
