"""The anonymous chat-bot's Telegram webhook. The secret header is the authentication."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from app.api.deps import NowDep, SessionDep, SettingsDep
from app.api.responses import problems
from app.channels.chatbot import handle_update
from app.connectors.telegram.bot_api import verify_secret
from app.connectors.telegram.updates import parse_update

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post(
    "/telegram",
    responses=problems(401, 413, 422, 503),
    description=(
        "A Telegram Bot API `Update`. Checked by `X-Telegram-Bot-Api-Secret-Token` "
        "(APPEALS_TELEGRAM_WEBHOOK_SECRET, as given to `setWebhook`). The answer is a Bot API "
        "method call (`sendMessage`) that Telegram performs: the bot's immediate reply. An "
        "update whose content does not match the Bot API types is refused with a 200 (so "
        "Telegram does not send it again) and nothing is stored; a body without a valid "
        "`update_id` (an integer from 0 to 2^63-1) is a 422."
    ),
)
async def telegram(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> dict[str, Any]:
    """Receive one update from the anonymous chat-bot."""
    verify_secret(settings.telegram_webhook_secret, secret)
    update = parse_update(await request.body())
    if update is None:
        return {}
    reply = await handle_update(session, update, settings=settings, now=now)
    if reply is None:
        return {}
    return {"method": "sendMessage", **reply.as_method()}
