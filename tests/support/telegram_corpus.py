"""Hostile Telegram updates: a hand-written list of mutations of one valid private-chat update.

Each case is (name, body, expected): ``"422"`` — not a Telegram update at all (no readable
``update_id``); ``"refused"`` — an update whose content is not what the Bot API sends, answered
200 with a polite word to the chat; ``"silent"`` — answered 200 with nothing to say (the chat
cannot be read, or the update is one the bot ignores).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

CHAT_ID = 424242001
FIRST, LAST, USERNAME = "Враждебнова", "Глафира", "hostile_glafira"
Update = dict[str, Any]


def base(update_id: int) -> Update:
    person = {"id": CHAT_ID, "is_bot": False, "first_name": FIRST, "last_name": LAST}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {**person, "username": USERNAME},
            "chat": {**person, "type": "private", "username": USERNAME},
            "date": 1_795_000_000,
            "text": "Во дворе жгут мусор",
        },
    }


def press(update_id: int, data: Any) -> Update:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": {"id": CHAT_ID, "first_name": FIRST, "username": USERNAME},
            "message": {"message_id": 1, "chat": {"id": CHAT_ID, "type": "private"}},
            "data": data,
        },
    }


def _message(**changes: Any) -> Callable[[Update], Any]:
    def mutate(update: Update) -> Update:
        for key, value in changes.items():
            if value is _DROP:
                update["message"].pop(key, None)
            else:
                update["message"][key] = value
        return update

    return mutate


def _chat(**changes: Any) -> Callable[[Update], Any]:
    def mutate(update: Update) -> Update:
        update["message"]["chat"].update(changes)
        return update

    return mutate


def _location(value: Any) -> Callable[[Update], Any]:
    return _message(text=_DROP, location=value)


def _photo(value: Any) -> Callable[[Update], Any]:
    return _message(text=_DROP, photo=value)


def _top(**changes: Any) -> Callable[[Update], Any]:
    def mutate(update: Update) -> Update:
        for key, value in changes.items():
            if value is _DROP:
                update.pop(key, None)
            else:
                update[key] = value
        return update

    return mutate


_DROP = object()
_PHOTO = {"file_id": "AgAC-ok", "file_unique_id": "u", "width": 90, "height": 90}

_DEEP_ARRAYS = b'{"update_id": 1, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
_DEEP_OBJECTS = b'{"update_id": 1, "x": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_001
_LONE_SURROGATE = (
    b'{"update_id": 9, "message": {"chat": {"id": 1, "type": "private"}, "text": "\\ud800"}}'
)

# Raw bodies: what no JSON encoder of a real Telegram would write.
RAW: list[tuple[str, bytes, str]] = [
    ("empty body", b"", "422"),
    ("not JSON", b"update please", "422"),
    ("not UTF-8", b"\xff\xfe\x00{", "422"),
    ("truncated", b'{"update_id": 1, "message": {', "422"),
    ("a JSON array", b"[1, 2, 3]", "422"),
    ("a JSON string", b'"update"', "422"),
    ("JSON null", b"null", "422"),
    ("no update_id", b'{"message": {}}', "422"),
    ("update_id NaN", b'{"update_id": NaN}', "422"),
    ("update_id repeated, last a string", b'{"update_id": 1, "update_id": "x"}', "422"),
    ("deeply nested arrays", _DEEP_ARRAYS, "422"),
    ("deeply nested objects", _DEEP_OBJECTS, "422"),
    ("lone surrogate in text", _LONE_SURROGATE, "422"),
    ("latitude NaN", None, "refused"),  # built below: json.dumps writes NaN
    ("latitude Infinity", None, "refused"),
]  # fmt: skip

# (name, mutation of the base update, expected)
MUTATIONS: list[tuple[str, Callable[[Update], Any], str]] = [
    ("update_id a string", _top(update_id="5"), "422"),
    ("update_id a float", _top(update_id=5.5), "422"),
    ("update_id a boolean", _top(update_id=True), "422"),
    ("update_id negative", _top(update_id=-1), "422"),
    ("update_id above int64", _top(update_id=2**63), "422"),
    ("update_id of 30 digits", _top(update_id=10**30), "422"),
    ("update_id null", _top(update_id=None), "422"),
    ("message a string", _top(message="привет"), "silent"),
    ("message a list", _top(message=[1, 2]), "silent"),
    ("chat a string", _message(chat=f"{CHAT_ID} {FIRST}"), "silent"),
    ("chat a list", _message(chat=[CHAT_ID]), "silent"),
    ("chat null", _message(chat=None), "silent"),
    ("chat missing", _message(chat=_DROP), "silent"),
    ("chat id a string", _chat(id=str(CHAT_ID)), "silent"),
    ("chat id a float", _chat(id=1.5), "silent"),
    ("chat id a boolean", _chat(id=True), "silent"),
    ("chat id above int64", _chat(id=2**70), "silent"),
    ("chat type a number", _chat(type=7), "silent"),
    ("date a string", _message(date="вчера"), "refused"),
    ("message_id above int64", _message(message_id=2**64), "refused"),
    ("text a number", _message(text=5), "refused"),
    ("text an object", _message(text={"t": FIRST}), "refused"),
    ("text over 4096", _message(text="я" * 5000), "refused"),
    ("text with NUL", _message(text="мусор\u0000во дворе"), "refused"),
    ("caption a list", _message(text=_DROP, caption=["a"], photo=[_PHOTO]), "refused"),
    ("photo an object", _photo(_PHOTO), "refused"),
    ("photo a list of strings", _photo(["AgAC"]), "refused"),
    ("photo without file_id", _photo([{"width": 1}]), "refused"),
    ("photo file_id a number", _photo([{"file_id": 5}]), "refused"),
    ("photo file_id empty", _photo([{"file_id": ""}]), "refused"),
    ("photo file_id 300 long", _photo([{"file_id": "A" * 300}]), "refused"),
    ("photo width a word", _photo([{"file_id": "AgAC", "width": "big"}]), "refused"),
    ("photo of 21 sizes", _photo([_PHOTO] * 21), "refused"),
    ("location a string", _location("44.5,132.8"), "refused"),
    ("location a list", _location([44.5, 132.8]), "refused"),
    ("latitude 95", _location({"latitude": 95, "longitude": 132.8}), "refused"),
    ("latitude -91", _location({"latitude": -91.0, "longitude": 132.8}), "refused"),
    ("longitude 181", _location({"latitude": 44.5, "longitude": 181}), "refused"),
    ("latitude a string", _location({"latitude": "44.5", "longitude": 132.8}), "refused"),
    ("no longitude", _location({"latitude": 44.5}), "refused"),
    ("no latitude", _location({"longitude": 132.8}), "refused"),
    ("location null fields", _location({"latitude": None, "longitude": None}), "refused"),
    ("callback a string", _top(callback_query="x", message=_DROP), "silent"),
    ("callback message a string", lambda u: _cb(u, message="сообщение"), "silent"),
    ("callback chat a string", lambda u: _cb(u, message={"chat": str(CHAT_ID)}), "silent"),
    ("callback data a number", lambda u: _cb(u, data=5), "refused"),
    ("callback data over 64", lambda u: _cb(u, data="fb:yes:" + "1" * 70), "refused"),
    ("callback id an object", lambda u: _cb(u, id={"x": 1}), "refused"),
    ("callback data superscript two", lambda u: _cb(u, data="fb:yes:²"), "silent"),
    ("callback data Arabic-Indic digit", lambda u: _cb(u, data="fb:no:٣"), "silent"),
    ("callback data 20 digits", lambda u: _cb(u, data="fb:yes:" + "9" * 20), "silent"),
    ("callback data negative id", lambda u: _cb(u, data="fb:yes:-1"), "silent"),
    ("callback data unknown answer", lambda u: _cb(u, data="fb:maybe:1"), "silent"),
    ("callback data trailing newline", lambda u: _cb(u, data="fb:yes:1\n"), "silent"),
    ("a group chat", _chat(type="group", id=-100123), "silent"),
    ("an edited message of garbage", _top(message=_DROP, edited_message=[[]]), "silent"),
    ("a channel post", _top(message=_DROP, channel_post={"chat": 1}), "silent"),
]  # fmt: skip


def _cb(update: Update, **changes: Any) -> Update:
    pressed = press(update["update_id"], "fb:yes:1")
    pressed["callback_query"].update(changes)
    return pressed


def corpus(first_update_id: int = 700_000) -> list[tuple[str, bytes, str]]:
    """Every case as the bytes sent, update ids counting up from ``first_update_id``."""
    cases: list[tuple[str, bytes, str]] = []
    update_id = first_update_id
    for name, body, expected in RAW:
        update_id += 1
        if body is None:
            value = float("nan") if "NaN" in name else float("inf")
            update = _location({"latitude": value, "longitude": 132.8})(base(update_id))
            body = json.dumps(update, ensure_ascii=False).encode()
        cases.append((name, body, expected))
    for name, mutate, expected in MUTATIONS:
        update_id += 1
        update = mutate(copy.deepcopy(base(update_id)))
        cases.append((name, json.dumps(update, ensure_ascii=False).encode(), expected))
    return cases
