"""The ПОС OAuth password-grant client against httpx.MockTransport."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import httpx
import pytest

from app.connectors.feedback_platform.client import (
    Credentials,
    FeedbackPlatformClient,
    FeedbackPlatformError,
)

CREDS = Credentials("0b5e-uuid", "p@ss", "hub", "hub-secret")
ITEM = "/appeal-service/external-appeal-system/appeals/563007235"


class FakePos:
    def __init__(self) -> None:
        self.logins: list[dict[str, list[str]]] = []
        self.valid: set[str] = set()
        self.reads = 0
        self.reject_next_read = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/user-service/oauth/token":
            basic = base64.b64encode(b"hub:hub-secret").decode()
            assert request.headers["Authorization"] == f"Basic {basic}"
            form = parse_qs(request.content.decode())
            self.logins.append(form)
            token = f"t{len(self.logins)}"
            self.valid = {token}
            return httpx.Response(200, json={"access_token": token, "expires_in": 600})
        if request.url.path == ITEM:
            self.reads += 1
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if self.reject_next_read or bearer not in self.valid:
                self.reject_next_read = False
                return httpx.Response(401)
            return httpx.Response(200, json={"posId": 563007235, "status": "SET_EXECUTOR"})
        return httpx.Response(404)


def client(pos: FakePos, clock=lambda: 0.0) -> FeedbackPlatformClient:  # type: ignore[no-untyped-def]
    return FeedbackPlatformClient(
        "http://pos.test", CREDS, transport=httpx.MockTransport(pos.handler), clock=clock
    )


async def test_password_grant_form_and_token_reused() -> None:
    pos = FakePos()
    c = client(pos)
    assert (await c.get_item(563007235))["posId"] == 563007235
    assert (await c.get_item("563007235"))["status"] == "SET_EXECUTOR"
    assert len(pos.logins) == 1
    form = pos.logins[0]
    assert form == {
        "username": ["0b5e-uuid"],
        "password": ["p@ss"],
        "scope": ["any"],
        "grant_type": ["password"],
    }


async def test_expired_token_logs_in_again() -> None:
    pos = FakePos()
    now = [0.0]
    c = client(pos, clock=lambda: now[0])
    await c.get_item(563007235)
    now[0] = 600.0  # expires_in 600 s (renewed 30 s early)
    await c.get_item(563007235)
    assert len(pos.logins) == 2


async def test_401_logs_in_once_and_retries() -> None:
    pos = FakePos()
    c = client(pos)
    await c.get_item(563007235)
    pos.reject_next_read = True
    assert (await c.get_item(563007235))["posId"] == 563007235
    assert len(pos.logins) == 2 and pos.reads == 3


async def test_401_twice_is_an_auth_failure_not_a_loop() -> None:
    pos = FakePos()
    c = client(pos)
    pos.valid = set()
    original = pos.handler

    def never_valid(request: httpx.Request) -> httpx.Response:
        response = original(request)
        pos.valid = set()
        return response

    c = FeedbackPlatformClient("http://pos.test", CREDS, transport=httpx.MockTransport(never_valid))
    with pytest.raises(FeedbackPlatformError) as info:
        await c.get_item(563007235)
    assert info.value.reason == "auth_failed"
    assert len(pos.logins) == 2  # the first login and exactly one re-login


async def test_unknown_item_is_none_and_bad_login_is_an_error() -> None:
    pos = FakePos()
    assert await client(pos).get_item(1) is None

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_grant"})

    bad = FeedbackPlatformClient("http://pos.test", CREDS, transport=httpx.MockTransport(refuse))
    with pytest.raises(FeedbackPlatformError) as info:
        await bad.get_item(563007235)
    assert (info.value.reason, info.value.status_code) == ("auth_failed", 401)
