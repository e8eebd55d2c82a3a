"""The database is unavailable: a valid delivery gets 503 with Retry-After, never a 2xx."""

import httpx
import pytest

from app.db import Database
from app.main import create_app
from tests.support.servers import free_port
from tests.support.webhooks import IM_URL, PROBLEM, encode, sample, signed, webhook_settings


@pytest.fixture
async def dead_client():
    settings = webhook_settings()
    # Nothing listens on this port: every connection attempt is refused.
    dead = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/appeals", settings)
    app = create_app(db=dead, settings=settings)
    # A 503 for an unexpected exception is rendered by the outermost handler, which re-raises
    # after sending; a real server only logs that, so the client must not re-raise either.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await dead.dispose()


async def test_valid_delivery_gets_503_with_retry_after(dead_client):
    body = encode(sample("im_incident.json"))
    r = await dead_client.post(IM_URL, content=body, headers=signed(body))
    assert r.status_code == 503
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["retry-after"] == "5"


async def test_bad_signature_is_still_401(dead_client):
    body = encode(sample("im_incident.json"))
    r = await dead_client.post(IM_URL, content=body, headers={"webhook-id": "x"})
    assert r.status_code == 401
