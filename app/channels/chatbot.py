"""The anonymous chat-bot's dialogue: /start, reports from text, photo and location, follow-ups,
/status, and the «Проблема решена?» buttons. Replies go back in the webhook answer.

No identity is kept: the ticket has no applicant; the chat is known only by a keyed hash (to
link follow-ups) and a sealed chat id (to send the status and the answer), see
``chatbot_privacy``. The raw update is deliberately not archived, unlike other sources: it
carries the sender's name and account.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.channels import chatbot_privacy as privacy
from app.channels import chatbot_seen as seen
from app.config import Settings
from app.connectors.telegram.bot_api import OutgoingMessage
from app.connectors.telegram.outbound import STATUS_WORDS
from app.connectors.telegram.updates import BotUpdate, RefusedUpdate
from app.feedback import service as feedback
from app.incidents import surge
from app.intake.ingestion import ingest_draft, lock_source_item
from app.models.chatbot import ChatbotReport
from app.models.common import Channel, Kind, Source, Status
from app.models.drafts import TicketDraft
from app.models.feedback import Sentiment
from app.models.tickets import Ticket
from app.tickets.events import record_event
from app.tickets.search_text import refresh_search_text
from app.tickets.status import touch

log = logging.getLogger(__name__)

ACTOR = "system:chatbot"
# «Проблема решена?» buttons: fb:yes:<ticket id>. ASCII digits only ("²" is a digit to
# str.isdigit, not to int), at most 18 of them (a BIGINT).
_BUTTON = re.compile(r"fb:(yes|no):([0-9]{1,18})")
# Text, photo and location sent within this time go to the same report (people send them one
# after another); later messages start a new report.
FOLLOWUP_WINDOW = timedelta(minutes=30)
SOURCE_CATEGORY = "offence"


def start_text(settings: Settings) -> str:
    days = f"{settings.telegram_chat_retention_days:g}"
    return (
        "Здравствуйте! Это анонимный бот администрации города для сообщений о нарушениях: "
        "мусор, парковка на газонах, незаконная торговля, шум и другое.\n\n"
        "Что будет дальше: опишите, что и где случилось, можно приложить фото и геопозицию. "
        "Сообщение станет обращением в административную комиссию, вы сразу получите его номер, "
        "а затем здесь же — изменения статуса и ответ.\n\n"
        "Анонимность: мы не храним ваше имя, логин или телефон. Чтобы прислать ответ, номер "
        f"чата хранится только в зашифрованном виде и удаляется через {days} дн. после закрытия "
        "обращения. Пожалуйста, не пишите в сообщении свои персональные данные.\n\n"
        "/status — статус ваших обращений."
    )


async def handle_update(
    session: AsyncSession,
    update: BotUpdate | RefusedUpdate,
    *,
    settings: Settings,
    now: datetime,
) -> OutgoingMessage | None:
    """Act on one update; the reply to send (in the webhook answer), if any."""
    if isinstance(update, RefusedUpdate):
        return _refusal(update)
    chat = update.chat_id
    if update.command in ("/start", "/help"):
        return OutgoingMessage(chat, start_text(settings))
    digest = privacy.chat_hash(settings, chat)
    # The chat's other updates (an album, a re-sent one) wait here until this one commits.
    await seen.lock_chat(session, digest)
    if update.callback_data is not None:
        return await _button(session, update, digest, now=now)
    if update.command == "/status":
        return OutgoingMessage(chat, await _status(session, digest))
    if not (update.text or update.photo_file_id or update.lat is not None):
        return OutgoingMessage(chat, "Пришлите текст, фото или геопозицию. /start — подробнее.")
    return await _report(session, update, digest, settings=settings, now=now)


async def _report(
    session: AsyncSession, update: BotUpdate, digest: str, *, settings: Settings, now: datetime
) -> OutgoingMessage:
    """A new report, or a follow-up added to the chat's open one; a repeat changes nothing."""
    chat = update.chat_id
    taken = await seen.taken_by(session, digest, update.update_id)
    if taken is not None:
        return OutgoingMessage(chat, f"Уже получено: обращение {taken.number}.")
    recent = await _recent_open_report(session, digest, now=now)
    if recent is not None:
        assert recent.id is not None
        _add_to(recent, update, settings=settings, now=now)
        record_event(
            session,
            recent,
            actor=ACTOR,
            type="citizen_message",
            text=bool(update.text),
            photo=bool(update.photo_file_id),
            location=update.lat is not None,
        )
        seen.remember(session, digest, update.update_id, recent.id, now=now)
        return OutgoingMessage(chat, f"Добавлено к обращению {recent.number}.")
    ticket = await _create(session, update, settings=settings, now=now)
    if ticket is None:
        return OutgoingMessage(chat, "Не удалось принять сообщение. Пришлите его ещё раз.")
    assert ticket.id is not None
    session.add(
        ChatbotReport(
            ticket_id=ticket.id,
            chat_hash=digest,
            chat_sealed=privacy.seal(settings, chat),
            created_at=now,
        )
    )
    seen.remember(session, digest, update.update_id, ticket.id, now=now)
    await session.flush()
    # A report of an open mass incident joins it now; its answer follows through the outbox.
    await surge.join_new_tickets(session, [ticket.id])
    return OutgoingMessage(
        chat,
        f"Обращение принято, номер {ticket.number}. Статус и ответ придут сюда же. Фото или "
        "геопозицию, присланные в ближайшие 30 минут, добавим к этому обращению.",
    )


def _refusal(update: RefusedUpdate) -> OutgoingMessage | None:
    """What a chat is told about an update the bot could not read (nothing was stored)."""
    if update.chat_id is None:
        return None
    if any(f.startswith("message.location") for f in update.fields):
        return OutgoingMessage(
            update.chat_id,
            "Геопозиция не распознана, ничего не добавлено. Отправьте точку на карте ещё раз.",
        )
    return OutgoingMessage(
        update.chat_id,
        "Не удалось прочитать это сообщение, ничего не добавлено. Пришлите текст, фото или "
        "геопозицию. /start — подробнее.",
    )


def _attachments(update: BotUpdate) -> list[dict[str, str]]:
    if not update.photo_file_id:
        return []
    return [{"type": "photo", "telegram_file_id": update.photo_file_id}]


async def _create(
    session: AsyncSession, update: BotUpdate, *, settings: Settings, now: datetime
) -> Ticket | None:
    text = update.text or ("Фото без описания" if update.photo_file_id else "Место на карте")
    draft = TicketDraft(
        source=Source.chatbot.value,
        # The update id is Telegram's sequence number, not the person: a re-sent update is
        # the same report.
        source_id=f"tg-{update.update_id}",
        kind=Kind.anonymous_report.value,
        channel=Channel.telegram.value,
        text=text[: settings.max_text_length],
        source_category=SOURCE_CATEGORY,
        category_names=[SOURCE_CATEGORY],
        lat=update.lat,
        lon=update.lon,
        attachments=_attachments(update),
    )
    await lock_source_item(session, draft.source, draft.source_id)
    exists = await session.exec(
        select(Ticket.id).where(Ticket.source == draft.source, Ticket.source_id == draft.source_id)
    )
    if exists.first() is not None:
        # Not this chat's (its repeats were caught above): another chat's report, or Telegram
        # restarted its ids after a quiet week. Never touch that report.
        log.warning("telegram update %d: its report id is taken", update.update_id)
        return None
    return (await ingest_draft(session, draft, actor=ACTOR, now=now, item_locked=True)).ticket


async def _recent_open_report(
    session: AsyncSession, digest: str, *, now: datetime
) -> Ticket | None:
    stmt = (
        select(Ticket)
        .join(ChatbotReport, col(ChatbotReport.ticket_id) == col(Ticket.id))
        .where(
            ChatbotReport.chat_hash == digest,
            ChatbotReport.created_at >= now - FOLLOWUP_WINDOW,
            col(Ticket.status).in_([Status.new.value, Status.routed.value]),
        )
        .order_by(col(ChatbotReport.id).desc())
        .limit(1)
        .with_for_update(of=Ticket)
        # Read after the chat's lock, as the update before this one left it.
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


def _add_to(ticket: Ticket, update: BotUpdate, *, settings: Settings, now: datetime) -> None:
    if update.text:
        ticket.text = (ticket.text + "\n\n" + update.text)[: settings.max_text_length]
        refresh_search_text(ticket)
    if update.photo_file_id:
        ticket.attachments = [*ticket.attachments, *_attachments(update)]
    if update.lat is not None and update.lon is not None:
        ticket.lat, ticket.lon = update.lat, update.lon
    touch(ticket, now)


async def _status(session: AsyncSession, digest: str) -> str:
    stmt = (
        select(Ticket)
        .join(ChatbotReport, col(ChatbotReport.ticket_id) == col(Ticket.id))
        .where(ChatbotReport.chat_hash == digest)
        .order_by(col(ChatbotReport.id).desc())
        .limit(5)
    )
    rows = (await session.exec(stmt)).all()
    if not rows:
        return "У вас пока нет обращений. Опишите проблему одним сообщением."
    return "\n".join(f"{t.number}: {STATUS_WORDS.get(t.status, t.status)}" for t in rows)


async def _button(
    session: AsyncSession, update: BotUpdate, digest: str, *, now: datetime
) -> OutgoingMessage | None:
    match = _BUTTON.fullmatch(update.callback_data or "")
    if match is None:
        return None
    answer, ticket_id = match.group(1), int(match.group(2))
    report = (
        await session.exec(select(ChatbotReport).where(ChatbotReport.ticket_id == ticket_id))
    ).first()
    # Only the chat that made the report may rate its answer.
    if report is None or report.chat_hash != digest:
        return OutgoingMessage(update.chat_id, "Это обращение не найдено.")
    ticket = await session.get(Ticket, report.ticket_id, with_for_update=True)
    assert ticket is not None
    solved = answer == "yes"
    row = await feedback.record_feedback(
        session,
        ticket,
        source_value="Проблема решена: да" if solved else "Проблема решена: нет",
        score=None,
        sentiment=Sentiment.positive if solved else Sentiment.negative,
        now=now,
        actor=ACTOR,
        source=Source.chatbot.value,
    )
    text = "Спасибо за оценку!"
    if row.reopened:
        text = f"Спасибо. Обращение {ticket.number} возвращено в работу."
    return OutgoingMessage(update.chat_id, text)
