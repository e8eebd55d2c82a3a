"""ПОС external-system API client: OAuth2 password grant, reading one item by ``posId``. No DB.

``POST /user-service/oauth/token`` (form: username, password, scope=any, grant_type=password;
HTTP Basic with the client id and secret) gives ``access_token`` and ``expires_in``; the token
is reused until shortly before it expires, and a 401/403 on a call logs in again once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

TOKEN_PATH = "/user-service/oauth/token"
ITEM_PATH = "/appeal-service/external-appeal-system/appeals/{pos_id}"
# Renew a little early so a token never expires between the check and the call.
EXPIRY_MARGIN_SECONDS = 30.0


class FeedbackPlatformError(Exception):
    """A call to ПОС failed; ``reason`` is a bounded code for health and metrics."""

    def __init__(self, reason: str, status_code: int | None = None) -> None:
        super().__init__(
            f"feedback platform: {reason}" + (f" ({status_code})" if status_code else "")
        )
        self.reason = reason
        self.status_code = status_code


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    client_id: str
    client_secret: str


class FeedbackPlatformClient:
    """Talks to one ПОС installation; ``transport`` is injectable (MockTransport, simulators)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )
        self._credentials = credentials
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._login_lock = asyncio.Lock()

    async def _login(self) -> str:
        c = self._credentials
        try:
            response = await self._client.post(
                TOKEN_PATH,
                data={
                    "username": c.username,
                    "password": c.password,
                    "scope": "any",
                    "grant_type": "password",
                },
                auth=(c.client_id, c.client_secret),
            )
        except httpx.TimeoutException as exc:
            raise FeedbackPlatformError("timeout") from exc
        except httpx.HTTPError as exc:
            raise FeedbackPlatformError("network") from exc
        if response.status_code != 200:
            raise FeedbackPlatformError("auth_failed", response.status_code)
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise FeedbackPlatformError("bad_token_response", response.status_code) from exc
        self._token = token
        self._expires_at = self._clock() + max(0.0, expires_in - EXPIRY_MARGIN_SECONDS)
        return token

    async def token(self, *, force: bool = False) -> str:
        """A valid access token: the cached one, or a new login (one login at a time)."""
        async with self._login_lock:
            if not force and self._token is not None and self._clock() < self._expires_at:
                return self._token
            return await self._login()

    async def _get(self, path: str) -> httpx.Response:
        token = await self.token()
        for attempt in (1, 2):
            try:
                response = await self._client.get(
                    path, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TimeoutException as exc:
                raise FeedbackPlatformError("timeout") from exc
            except httpx.HTTPError as exc:
                raise FeedbackPlatformError("network") from exc
            if response.status_code in (401, 403) and attempt == 1:
                token = await self.token(force=True)  # revoked or expired early: log in once
                continue
            return response
        raise AssertionError("unreachable")

    async def get_item(self, pos_id: str | int) -> dict[str, Any] | None:
        """The current snapshot of one ПОС item, or None when ПОС does not know it (404)."""
        response = await self._get(ITEM_PATH.format(pos_id=quote(str(pos_id), safe="")))
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise FeedbackPlatformError("auth_failed", response.status_code)
        if response.status_code != 200:
            raise FeedbackPlatformError(
                f"http_{response.status_code // 100}xx", response.status_code
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise FeedbackPlatformError("bad_item_response", 200) from exc
        if not isinstance(body, dict):
            raise FeedbackPlatformError("bad_item_response", 200)
        return body

    async def aclose(self) -> None:
        await self._client.aclose()
