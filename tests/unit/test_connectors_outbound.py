"""What goes back to each source: the registry's one mapping, status codes, paths and bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from app.config import Settings
from app.connectors import registry
from app.connectors.base import Contact, verify_standard_webhook
from app.connectors.outbound import envelope
from app.errors import NotFound
from app.models.common import Source, Status
from app.models.outbox import OutboxMessage, OutboxTarget

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
CREATED = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "feedback_platform_url": "http://pos.test/",
        "incident_management_url": "http://im.test",
        "feedback_platform_outbound_secret": SECRET,
        "telegram_api_url": "http://tg.test",
        "telegram_bot_token": "123:abc",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def message(target: str, kind: str = "answer", **payload: object) -> OutboxMessage:
    return OutboxMessage(
        id=1,
        idempotency_id=f"{kind}-7",
        target=target,
        kind=kind,
        ticket_id=42,
        payload={"ticket_number": "SD-2026-000001", "source_id": "563007235", **payload},
        created_at=CREATED,
    )


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200, json={"ok": True})

        return httpx.MockTransport(handle)


async def send_one(target: str, msg: OutboxMessage, contact: Contact | None = None, **overrides):  # type: ignore[no-untyped-def]
    recorder = Recorder()
    senders = registry.outbound_senders(settings(**overrides), transport=recorder.transport())
    try:
        send = senders[target].prepare(msg, contact)
        response = await send() if send is not None else None
    finally:
        for sender in senders.values():
            await sender.aclose()
    return response, recorder.requests


class TestRegistry:
    def test_one_entry_per_source_with_its_parts(self):
        assert set(registry.SOURCES) == {
            Source.feedback_platform,
            Source.incident_management,
            Source.chatbot,
        }
        targets = {name: e.outbound.target for name, e in registry.SOURCES.items() if e.outbound}
        assert targets == {
            "feedback_platform": OutboxTarget.feedback_platform,
            "incident_management": OutboxTarget.incident_management,
            "chatbot": OutboxTarget.telegram,
        }

    def test_slugs_and_names_find_the_same_connector(self):
        s = settings(feedback_platform_webhook_secrets=[SECRET])
        by_slug = registry.inbound_connector("feedback-platform", s)
        by_name = registry.inbound_connector("feedback_platform", s)
        assert by_slug.name == by_name.name == "feedback_platform"
        assert list(by_slug.secrets) == [SECRET]
        assert registry.export_format("incident-management").key_column == "Урл блога"
        assert registry.export_format("feedback_platform").source == "feedback_platform"

    @pytest.mark.parametrize("source", ["chatbot", "open311", "nowhere"])
    def test_sources_without_a_webhook_or_export_are_not_found(self, source):
        with pytest.raises(NotFound):
            registry.inbound_connector(source, settings())
        with pytest.raises(NotFound):
            registry.export_format(source)

    def test_no_channel_back_for_staff_and_open311(self):
        assert registry.outbound_adapter("api") is None
        assert registry.outbound_adapter("open311") is None


class TestStatusCodes:
    @pytest.mark.parametrize(
        ("status", "redirect_to", "code"),
        [
            (Status.in_progress, None, "TAKE_TO_WORK"),
            (Status.on_hold, None, "POSTPONE"),
            (Status.rejected, None, "MODERATION_DECLINE"),
            (Status.rejected, "МЧС", "FORWARD_TO_PARENT"),
            (Status.answered, None, None),  # the answer itself carries it
            (Status.closed, None, None),
        ],
    )
    def test_feedback_platform(self, status, redirect_to, code):
        adapter = registry.outbound_adapter("feedback_platform")
        assert adapter is not None
        assert adapter.source_status(status.value, redirect_to=redirect_to) == code

    def test_incident_management_and_chatbot(self):
        im = registry.outbound_adapter("incident_management")
        bot = registry.outbound_adapter("chatbot")
        assert im is not None and bot is not None
        codes = {
            s.value: (
                im.source_status(s.value, redirect_to=None),
                bot.source_status(s.value, redirect_to=None),
            )
            for s in Status
        }
        assert codes["in_progress"] == ("in_work", "in_progress")
        assert codes["rejected"] == ("rejected", "rejected")
        assert codes["on_hold"] == (None, "on_hold")
        assert codes["closed"] == (None, "closed")
        assert codes["answered"] == (None, None)


class TestWebhookSources:
    async def test_feedback_platform_answer_is_signed_at_its_item(self):
        msg = message("feedback_platform", source_id="563/007", text="Ответ")
        response, [request] = await send_one("feedback_platform", msg)
        assert response is not None and response.status_code == 200
        assert str(request.url) == (
            "http://pos.test/appeal-service/external-appeal-system/appeals/563%2F007/responses"
        )
        assert json.loads(request.content) == envelope(msg)
        assert request.headers["Idempotency-Key"] == "answer-7"
        assert request.headers["User-Agent"] == "appeals-hub-relay/1"
        now = datetime.now(UTC)
        signed_id = verify_standard_webhook(
            request.content, request.headers, secrets=[SECRET], now=now
        )
        assert signed_id == "answer-7"

    async def test_incident_management_comment_names_the_post_in_the_body(self):
        msg = message("incident_management", "status", source_url="https://vk.com/wall-1_5")
        _, [request] = await send_one("incident_management", msg)
        assert str(request.url) == "http://im.test/api/comments"
        assert json.loads(request.content)["data"]["source_url"] == "https://vk.com/wall-1_5"
        # No outbound secret configured: unsigned, but still named by its stable id.
        assert "webhook-signature" not in request.headers
        assert request.headers["webhook-id"] == "status-7"

    def test_without_a_base_url_there_is_nowhere_to_send(self):
        senders = registry.outbound_senders(settings(feedback_platform_url=None))
        assert senders["feedback_platform"].prepare(message("feedback_platform"), None) is None
        assert senders["feedback_platform"].health_name == "feedback_platform.answers"
        assert senders["incident_management"].health_name == "incident_management.answers"


class TestChatbot:
    async def test_final_answer_asks_whether_it_is_solved(self):
        msg = message("telegram", text="Машину эвакуировали.", answer_kind="final")
        _, [request] = await send_one("telegram", msg, Contact(555))
        assert str(request.url) == "http://tg.test/bot123:abc/sendMessage"
        body = json.loads(request.content)
        assert body["chat_id"] == 555
        assert body["text"] == (
            "Ответ по обращению SD-2026-000001:\n\nМашину эвакуировали.\n\nПроблема решена?"
        )
        buttons = body["reply_markup"]["inline_keyboard"][0]
        assert [b["callback_data"] for b in buttons] == ["fb:yes:42", "fb:no:42"]

    async def test_rejection_is_told_in_words_with_the_reason(self):
        msg = message("telegram", "status", status="rejected", reason="не наша компетенция")
        _, [request] = await send_one("telegram", msg, Contact(555))
        body = json.loads(request.content)
        assert body["text"] == (
            "Обращение SD-2026-000001: отклонено.\nПричина: не наша компетенция"
        )
        assert "reply_markup" not in body

    def test_a_purged_chat_has_nowhere_to_go(self):
        sender = registry.outbound_senders(settings())["telegram"]
        assert sender.needs_contact is True
        assert sender.health_name == "telegram"
        assert sender.prepare(message("telegram"), None) is None
