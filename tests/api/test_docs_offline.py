"""/docs and /redoc work on a network without internet: every script, style and icon they load
comes from the app itself, and none of their HTML names another host."""

from __future__ import annotations

import re

import pytest

REFERENCE = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|url: '([^']+)'""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_page_loads_only_from_the_app(client, page: str) -> None:
    r = await client.get(page)
    assert r.status_code == 200
    html = r.text
    # The browser is told to load nothing from elsewhere (ReDoc's logo would come from a CDN).
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "img-src 'self' data:;" in r.headers["content-security-policy"]
    assert not re.search(r"(?:https?:)?//", html), html
    loaded = [a or b for a, b in REFERENCE.findall(html)]
    assert any(u.endswith(".js") for u in loaded) and "/openapi.json" in loaded
    for url in loaded:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url


async def test_swagger_ui_asks_no_validator_online(client) -> None:
    html = (await client.get("/docs")).text
    assert '"validatorUrl": null' in html
    redirect = await client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert not re.search(r"https?://", redirect.text)
