"""Telegram webhook updates: the Bot API types the chat-bot reads, checked before anything acts.

Only the fields the bot uses are modelled; every other field is ignored. A body that is not an
update at all (not JSON, no ``update_id`` that fits Telegram's 64-bit integer) is a 422. An
update that has an id but whose content does not match the Bot API types (a chat that is a
string, a photo that is an object, latitude 95 or NaN, a location without its longitude, text
PostgreSQL cannot store) is *refused*: answered 200 so Telegram does not send it again, and
logged by field path and error type only, never by value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)
from pydantic_core import from_json

from app.errors import ValidationFailed

log = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1


def _storable(value: str) -> str:
    """PostgreSQL text holds neither NUL nor unpaired surrogates."""
    if "\x00" in value:
        raise ValueError("holds a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds an unpaired surrogate") from None
    return value


Int64 = Annotated[StrictInt, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
UpdateId = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]
Dimension = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
Storable = Annotated[StrictStr, AfterValidator(_storable)]


class _BotType(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Chat(_BotType):
    id: Int64
    type: StrictStr = Field(max_length=32)


class PhotoSize(_BotType):
    file_id: Storable = Field(min_length=1, max_length=256)
    file_unique_id: Storable | None = Field(default=None, max_length=256)
    width: Dimension | None = None
    height: Dimension | None = None


class Location(_BotType):
    latitude: StrictFloat = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: StrictFloat = Field(ge=-180, le=180, allow_inf_nan=False)


class Message(_BotType):
    """A Message, or the InaccessibleMessage a callback may carry (no text, date 0)."""

    message_id: Int64 | None = None
    date: Int64 | None = None
    chat: Chat
    text: Storable | None = Field(default=None, max_length=4096)  # the Bot API's limits
    caption: Storable | None = Field(default=None, max_length=1024)
    photo: list[PhotoSize] | None = Field(default=None, max_length=20)
    location: Location | None = None


class CallbackQuery(_BotType):
    id: Storable = Field(max_length=128)
    message: Message | None = None
    data: Storable | None = Field(default=None, max_length=64)


class Update(_BotType):
    update_id: UpdateId
    message: Message | None = None
    callback_query: CallbackQuery | None = None


@dataclass(frozen=True)
class BotUpdate:
    """One inbound update, reduced to what a report needs (no names, no usernames)."""

    update_id: int
    chat_id: int
    command: str | None = None
    text: str | None = None
    photo_file_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    callback_data: str | None = None
    callback_id: str | None = None


@dataclass(frozen=True)
class RefusedUpdate:
    """An update whose content is not what the Bot API sends: answered 200, nothing stored.

    ``chat_id`` is the private chat to tell, when one could be read; ``fields`` name what was
    wrong (paths and error types, never values).
    """

    update_id: int
    chat_id: int | None
    fields: tuple[str, ...]


def parse_update(body: bytes) -> BotUpdate | RefusedUpdate | None:
    """A private-chat message or button press; refused; or None for updates the bot ignores."""
    raw = _json_object(body)
    try:
        update = Update.model_validate(raw)
    except ValidationError as exc:
        refused = RefusedUpdate(raw["update_id"], _private_chat(raw), _fields(exc))
        log.warning("telegram update %d refused: %s", refused.update_id, ", ".join(refused.fields))
        return refused
    return _reduce(update)


def _json_object(body: bytes) -> dict[str, Any]:
    """The parsed body with a valid ``update_id``, or ValidationFailed (422)."""
    try:
        # pydantic-core's parser bounds nesting itself: no RecursionError on deep input.
        raw = from_json(body)
    except ValueError as exc:
        raise ValidationFailed(f"the body is not JSON: {exc}", field="body") from None
    if not isinstance(raw, dict):
        raise ValidationFailed("not a Telegram update: not a JSON object", field="body")
    update_id = raw.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= INT64_MAX:
        raise ValidationFailed(
            f"not a Telegram update: update_id must be an integer from 0 to {INT64_MAX}",
            field="update_id",
        )
    return raw


def _fields(exc: ValidationError) -> tuple[str, ...]:
    found = []
    for err in exc.errors(include_input=False, include_url=False)[:10]:
        path = ".".join(str(p) for p in err.get("loc", ())) or "update"
        found.append(f"{path} ({err.get('type')})")
    return tuple(found)


def _private_chat(raw: dict[str, Any]) -> int | None:
    """The chat of a refused update, when it is a well-formed private chat."""
    callback = raw.get("callback_query")
    message = callback.get("message") if isinstance(callback, dict) else raw.get("message")
    if not isinstance(message, dict):
        return None
    try:
        chat = Chat.model_validate(message.get("chat"))
    except ValidationError:
        return None
    return chat.id if chat.type == "private" else None


def _reduce(update: Update) -> BotUpdate | None:
    callback = update.callback_query
    if callback is not None:
        chat = callback.message.chat if callback.message is not None else None
        if chat is None or chat.type != "private":
            return None
        return BotUpdate(
            update.update_id, chat.id, callback_data=callback.data or "", callback_id=callback.id
        )
    message = update.message
    if message is None or message.chat.type != "private":
        # Edits, channel posts, member updates, groups: the bot is for one-to-one reports.
        return None
    text = message.text or message.caption
    command = None
    if text is not None and text.startswith("/"):
        command = text.split()[0].split("@")[0].lower()
        text = None
    photo = message.photo[-1].file_id if message.photo else None
    location = message.location
    return BotUpdate(
        update.update_id,
        message.chat.id,
        command=command,
        text=text.strip() if text is not None and text.strip() else None,
        photo_file_id=photo,
        lat=location.latitude if location is not None else None,
        lon=location.longitude if location is not None else None,
    )
