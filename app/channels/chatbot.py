"""The anonymous chat-bot's dialogue: /start, reports from text, photo and location, follow-ups,
/status, and the «Проблема решена?» buttons. Replies go back in the webhook answer.

No identity is kept: the ticket has no applicant; the chat is known only by a keyed hash (to
link follow-ups) and a sealed chat id (to send the status and the answer), see
``chatbot_privacy``. The raw update is deliberately not archived, unlike other sources: it
carries the sender's name and account.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.channels import chatbot_privacy as privacy
from app.config import Settings
from app.connectors.telegram.bot_api import BotUpdate, OutgoingMessage
from app.connectors.telegram.outbound import STATUS_WORDS
from app.feedback import service as feedback
from app.intake.ingestion import ingest_draft
from app.models.chatbot import ChatbotReport
from app.models.common import Channel, Kind, Source, Status
from app.models.drafts import TicketDraft
from app.models.feedback import Sentiment
from app.models.tickets import Ticket
from app.tickets.events import record_event
from app.tickets.status import touch

ACTOR = "system:chatbot"
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
    session: AsyncSession, update: BotUpdate, *, settings: Settings, now: datetime
) -> OutgoingMessage | None:
    """Act on one update; the reply to send (in the webhook answer), if any."""
    chat = update.chat_id
    if update.callback_data is not None:
        return await _button(session, update, settings=settings, now=now)
    if update.command in ("/start", "/help"):
        return OutgoingMessage(chat, start_text(settings))
    if update.command == "/status":
        return OutgoingMessage(chat, await _status(session, privacy.chat_hash(settings, chat)))
    if not (update.text or update.photo_file_id or update.lat is not None):
        return OutgoingMessage(chat, "Пришлите текст, фото или геопозицию. /start — подробнее.")
    digest = privacy.chat_hash(settings, chat)
    seen = await _latest_report(session, digest)
    if seen is not None and seen[0].last_update_id >= update.update_id:
        return OutgoingMessage(chat, f"Уже получено: обращение {seen[1].number}.")
    recent = await _recent_open_report(session, digest, now=now)
    if recent is not None:
        assert seen is not None  # the recent report is the chat's latest
        seen[0].last_update_id = update.update_id
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
        return OutgoingMessage(chat, f"Добавлено к обращению {recent.number}.")
    ticket = await _create(session, update, settings=settings, now=now)
    assert ticket.id is not None
    session.add(
        ChatbotReport(
            ticket_id=ticket.id,
            chat_hash=digest,
            chat_sealed=privacy.seal(settings, chat),
            last_update_id=update.update_id,
            created_at=now,
        )
    )
    await session.flush()
    return OutgoingMessage(
        chat,
        f"Обращение принято, номер {ticket.number}. Статус и ответ придут сюда же. Фото или "
        "геопозицию, присланные в ближайшие 30 минут, добавим к этому обращению.",
    )


def _attachments(update: BotUpdate) -> list[dict[str, str]]:
    if not update.photo_file_id:
        return []
    return [{"type": "photo", "telegram_file_id": update.photo_file_id}]


async def _create(
    session: AsyncSession, update: BotUpdate, *, settings: Settings, now: datetime
) -> Ticket:
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
    return (await ingest_draft(session, draft, actor=ACTOR, now=now)).ticket


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
    )
    return (await session.exec(stmt)).first()


async def _latest_report(session: AsyncSession, digest: str) -> tuple[ChatbotReport, Ticket] | None:
    stmt = (
        select(ChatbotReport, Ticket)
        .join(Ticket, col(Ticket.id) == col(ChatbotReport.ticket_id))
        .where(ChatbotReport.chat_hash == digest)
        .order_by(col(ChatbotReport.id).desc())
        .limit(1)
        .with_for_update(of=ChatbotReport)
    )
    row = (await session.exec(stmt)).first()
    return (row[0], row[1]) if row is not None else None


def _add_to(ticket: Ticket, update: BotUpdate, *, settings: Settings, now: datetime) -> None:
    if update.text:
        ticket.text = (ticket.text + "\n\n" + update.text)[: settings.max_text_length]
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
    session: AsyncSession, update: BotUpdate, *, settings: Settings, now: datetime
) -> OutgoingMessage | None:
    parts = (update.callback_data or "").split(":")
    if (
        len(parts) != 3
        or parts[0] != "fb"
        or parts[1] not in ("yes", "no")
        or not parts[2].isdigit()
    ):
        return None
    report = (
        await session.exec(select(ChatbotReport).where(ChatbotReport.ticket_id == int(parts[2])))
    ).first()
    # Only the chat that made the report may rate its answer.
    if report is None or report.chat_hash != privacy.chat_hash(settings, update.chat_id):
        return OutgoingMessage(update.chat_id, "Это обращение не найдено.")
    ticket = await session.get(Ticket, report.ticket_id, with_for_update=True)
    assert ticket is not None
    solved = parts[1] == "yes"
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
