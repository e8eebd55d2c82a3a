"""Personal data canaries (152-ФЗ): names, phones and e-mails sent in through every channel —
ПОС webhook applicant, IM webhook author (both made into tickets by the intake pipeline after
the 202), an invalid ПОС delivery quarantined and replayed, POST /tickets applicant, Open311,
the Telegram bot, an Excel import — never reach the api or worker logs (access log on) or
/metrics; applicant data is shown in full to the department's operator and manager and masked
for an admin; webhook secrets, the bot's secrets and API keys never reach the logs. The
chat-bot's error paths too: malformed updates carrying the names, a re-sent update racing its
first delivery, an album sent at once — neither the names nor the chat id nor its keyed hash is
logged."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import time
from pathlib import Path
from urllib.parse import unquote_plus

import httpx
from cryptography.fernet import Fernet

from tests.support.builders import auth, make_key
from tests.support.faults import pos_item
from tests.support.intake_http import processed
from tests.support.servers import Process, app_env, free_port, wait_http
from tests.support.webhooks import IM_URL, NEW_SECRET, POS_URL, SECRETS, encode, sample, signed
from tests.support.xlsx import header, workbook_bytes

APPEALS = str(Path(sys.executable).parent / "appeals")
TG_SECRET = "tg-canary-secret-5f1e2d"
TG_TOKEN = "4242:CANARY-BOT-TOKEN"
HASH_KEY = "canary-hash-key-9a8b7c"
FERNET = Fernet.generate_key().decode()

# One canary set per channel, so a leak names its way in.
CANARY = {
    "pos": ("Канарейкина", "Зоя", "+79990001101", "zoya.pos.canary@example.ru"),
    "im": ("Щеглов Пётр Кенарович", None, None, None),
    "manual": ("Синицына Ада Львовна", None, "+79990001103", "ada.manual.canary@example.ru"),
    "open311": ("Чижова", "Ирма", "+79990001104", "irma.open311.canary@example.ru"),
    "telegram": ("Снегирёв", "Фрол", None, "frol_canary_tg"),
    "excel": ("Клестова Нина", None, "+79990001106", "nina.excel.canary@example.ru"),
    "quarantine": ("Зябликова", "Вера", "+79990001107", "vera.quarantine.canary@example.ru"),
}


def needles() -> list[str]:
    out = []
    for values in CANARY.values():
        for v in values:
            if v:
                out.append(v)
                if v.startswith("+7"):
                    out.append(v[2:])  # the digits without the country code
    return out


def start_api(database_url: str, tmp_path: Path) -> tuple[Process, str]:
    port = free_port()
    env = app_env(
        database_url,
        APPEALS_LOG_LEVEL="DEBUG",
        APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS=SECRETS,
        APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS=SECRETS,
        APPEALS_TELEGRAM_WEBHOOK_SECRET=TG_SECRET,
        APPEALS_TELEGRAM_BOT_TOKEN=TG_TOKEN,
        APPEALS_TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}",  # nobody listens
        APPEALS_TELEGRAM_CHAT_HASH_KEY=HASH_KEY,
        APPEALS_TELEGRAM_CHAT_ENCRYPTION_KEY=FERNET,
    )
    args = [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1"]
    args += ["--port", str(port), "--log-level", "info"]  # access log on: query strings too
    proc = Process(args, env, tmp_path / "api.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", timeout=90, proc=proc)
    except BaseException:
        proc.stop()
        raise
    return proc, base


def worker(database_url: str, tmp_path: Path) -> Process:
    dead = f"http://127.0.0.1:{free_port()}"  # answers back fail and are logged as failures
    env = app_env(
        database_url,
        APPEALS_LOG_LEVEL="DEBUG",
        APPEALS_FEEDBACK_PLATFORM_URL=dead,
        APPEALS_INCIDENT_MANAGEMENT_URL=dead,
        APPEALS_FEEDBACK_PLATFORM_OUTBOUND_SECRET=NEW_SECRET,
        APPEALS_INCIDENT_MANAGEMENT_OUTBOUND_SECRET=NEW_SECRET,
        APPEALS_TELEGRAM_BOT_TOKEN=TG_TOKEN,
        APPEALS_TELEGRAM_API_URL=dead,
        APPEALS_TELEGRAM_CHAT_HASH_KEY=HASH_KEY,
        APPEALS_TELEGRAM_CHAT_ENCRYPTION_KEY=FERNET,
        APPEALS_OUTBOX_INTERVAL_SECONDS="0.2",
        APPEALS_OUTBOX_BACKOFF_BASE_SECONDS="0.2",
        APPEALS_OUTBOX_BACKOFF_CAP_SECONDS="1",
        APPEALS_SLA_SWEEP_INTERVAL_SECONDS="0.5",
    )
    return Process([APPEALS, "worker"], env, tmp_path / "worker.log")


async def send_everything(c: httpx.AsyncClient, db, keys: dict[str, str]) -> dict[str, int]:
    """Every channel once, each with its canary; returns the ticket ids made."""
    made: dict[str, int] = {}
    surname, name, phone, email = CANARY["pos"]
    item = pos_item(930_000_001)
    item["applicant"] = {
        "epguId": 1, "surname": surname, "name": name, "patronymic": "Канарейковна",
        "email": email, "phone": phone, "postAddress": "ул. Канареечная, 1",
    }  # fmt: skip
    body = encode(item)
    r = await c.post(POS_URL, content=body, headers=signed(body))
    made["pos"] = (await processed(c, r, auth(keys["admin"])))["ticket_id"]
    r = await c.get(f"/api/v1/tickets/{made['pos']}", headers=auth(keys["admin"]))
    pos_operator = await make_key(db, "operator", r.json()["department"])
    keys["pos_operator"] = pos_operator

    im = sample("im_incident.json")
    im["author"] = {"name": CANARY["im"][0], "profile_url": "https://vk.com/id_canary_author"}
    body = encode(im)
    r = await c.post(IM_URL, content=body, headers=signed(body))
    status = await processed(c, r, auth(keys["integration"]))
    assert status["status"] == "created", status
    made["im"] = status["ticket_id"]

    made["replayed"] = await quarantine_and_replay(c, keys["admin"])

    full_name, _, phone, email = CANARY["manual"]
    r = await c.post(
        "/api/v1/tickets",
        json={"text": "Не вывезен мусор у дома", "category": "roads",
              "applicant": {"full_name": full_name, "phone": phone, "email": email}},
        headers=auth(keys["operator"]),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    made["manual"] = r.json()["id"]

    last, first, phone, email = CANARY["open311"]
    r = await c.post(
        "/open311/v2/requests.json",
        data={"api_key": keys["integration"], "service_code": "roads", "lat": "44.598",
              "long": "132.812", "description": "Яма у остановки", "email": email,
              "first_name": first, "last_name": last, "phone": phone},
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text

    last, first, _, username = CANARY["telegram"]
    person = {"id": 55500011, "is_bot": False, "first_name": first, "last_name": last}
    for n, text in enumerate(["/start", "Не горит фонарь во дворе дома 5"]):
        update = {
            "update_id": 7000 + n,
            "message": {
                "message_id": 7000 + n,
                "from": {**person, "username": username},
                "chat": {**person, "type": "private", "username": username},
                "date": int(time.time()),
                "text": text,
            },
        }
        r = await c.post(
            "/api/v1/webhooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        )
        assert r.status_code == 200, r.text

    full_name, _, phone, email = CANARY["excel"]
    columns = [col for col in header("im") if col]
    row = {"Муниципалитет": "Спасск-Дальний", "Дата создания": "19.11.2026", "Группа тем": "ЖКХ",
           "Тема": "Отопление", "Важность": "Высокая", "Урл блога": "https://vk.com/wall-1_930",
           "Текст": f"Холодно в квартире. {full_name}, {phone}, {email}"}  # fmt: skip
    content = workbook_bytes([("Детализация", columns, [row])])
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = await c.post(
        "/api/v1/imports/incident-management",
        files={"file": ("export.xlsx", content, xlsx)},
        headers=auth(keys["integration"]),
    )
    assert r.status_code in (200, 201, 202), r.text

    # Staff at work: searches by the applicant's name and phone, answers, a comment.
    for q in (CANARY["manual"][0], CANARY["manual"][2]):
        r = await c.get("/api/v1/tickets", params={"q": q}, headers=auth(keys["operator"]))
        assert r.status_code == 200
    r = await c.post(
        f"/api/v1/tickets/{made['pos']}/answers",
        json={"text": "Контейнеры вывезены.", "kind": "final"},
        headers=auth(keys["pos_operator"]),
    )
    assert r.status_code == 201, r.text
    return made


async def quarantine_and_replay(c: httpx.AsyncClient, admin: str) -> int:
    """An invalid ПОС delivery with its canary: 422 and quarantined (a retry too), then an
    admin replays it with the text restored; returns the ticket it made."""
    surname, name, phone, email = CANARY["quarantine"]
    item = pos_item(930_000_002)
    item["applicant"] = {
        "epguId": 2, "surname": surname, "name": name, "patronymic": "Зябликовна",
        "email": email, "phone": phone, "postAddress": "ул. Зябликовая, 7",
    }  # fmt: skip
    broken = {k: v for k, v in item.items() if k != "description"}
    body = encode(broken)
    headers = signed(body, msg_id="msg_canary_quarantined")
    r = await c.post(POS_URL, content=body, headers=headers)
    assert r.status_code == 422, r.text
    delivery_id = r.json()["delivery_id"]
    retry = await c.post(POS_URL, content=body, headers=headers)
    assert (retry.status_code, retry.json()["delivery_id"]) == (422, delivery_id), retry.text
    listed = await c.get("/api/v1/quarantine", headers=auth(admin))
    assert [i["id"] for i in listed.json()["items"]] == [delivery_id], listed.text
    replayed = await c.post(
        f"/api/v1/quarantine/{delivery_id}/replay", headers=auth(admin), json={"body": item}
    )
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["outcome"] == "created", replayed.text
    # The source's late retry is now answered as accepted, naming the replayed ticket.
    late = await c.post(POS_URL, content=body, headers=headers)
    assert late.status_code == 202, late.text
    assert late.json()["ticket_id"] == replayed.json()["ticket_id"], late.text
    return int(replayed.json()["ticket_id"])


TG_CHAT = 55500011
TG_CHAT_HASH = hmac.new(HASH_KEY.encode(), str(TG_CHAT).encode(), hashlib.sha256).hexdigest()


def tg_update(update_id: int, **content: object) -> dict[str, object]:
    last, first, _, username = CANARY["telegram"]
    person = {"id": TG_CHAT, "is_bot": False, "first_name": first, "last_name": last}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {**person, "username": username},
            "chat": {**person, "type": "private", "username": username},
            "date": int(time.time()),
            **content,
        },
    }


async def send_hostile_updates(c: httpx.AsyncClient) -> None:
    """The chat-bot's error paths, each carrying the Telegram canary: refused updates, 422s,
    a refused button, a re-sent update racing its first delivery, an album at once."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET, "content-type": "application/json"}
    last, first, _, username = CANARY["telegram"]

    async def post(update: object) -> httpx.Response:
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        r = await c.post("/api/v1/webhooks/telegram", content=body, headers=headers)
        assert r.status_code < 500, r.text
        return r

    hostile: list[object] = [
        tg_update(7100, location={"latitude": 95, "longitude": 132.8}),
        tg_update(7101, location=f"{first} {last}, у дома 5"),
        tg_update(7102, text=f"{first}\u0000{last}"),
        tg_update(7103, photo={"file_id": username}),
        tg_update(2**63, text=f"{first} {last}"),
        tg_update(7104) | {"message": {"chat": f"{TG_CHAT} {first} {last} @{username}"}},
        {"update_id": 7105, "callback_query": {"id": username, "data": "fb:yes:²",
         "message": {"message_id": 1, "chat": {"id": TG_CHAT, "type": "private"}}}},
        b'{"update_id": 7106, "x": ' + b"[" * 30_000 + first.encode() + b"]" * 30_000 + b"}",
    ]  # fmt: skip
    for update in hostile:
        await post(update)
    resent = tg_update(7200, text="Сломана скамейка у подъезда")
    await asyncio.gather(post(resent), post(resent))
    album = [
        tg_update(7300 + n, photo=[{"file_id": f"AgAC-canary-{n}", "file_unique_id": f"u{n}"}])
        for n in range(3)
    ]
    await asyncio.gather(*(post(u) for u in album))


async def until_attempted(c: httpx.AsyncClient, ticket_id: int, token: str) -> None:
    """Wait (bounded) until the relay has made a delivery attempt for the ticket's answer."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        r = await c.get(f"/api/v1/tickets/{ticket_id}/events", headers=auth(token))
        if any(e["type"] == "delivery_attempt" for e in r.json()):
            return
        await asyncio.sleep(0.3)
    raise AssertionError("the worker never tried the answer back")


async def test_canaries_stay_out_of_logs_and_metrics_and_are_masked_by_role(
    db, database_url, tmp_path
):
    keys = {
        "operator": await make_key(db, "operator", "roads"),
        "manager": await make_key(db, "manager", "roads"),
        "admin": await make_key(db, "admin"),
        "integration": await make_key(db, "integration", "press"),
    }
    api, base = await asyncio.to_thread(start_api, database_url, tmp_path)
    work = worker(database_url, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            made = await send_everything(c, db, keys)
            await send_hostile_updates(c)
            metrics = (await c.get("/metrics")).text
            metrics += (await c.get("/metrics", params={"scope": "business"})).text
            views = {
                role: (
                    await c.get(f"/api/v1/tickets/{made['manual']}", headers=auth(keys[role]))
                ).json()
                for role in ("operator", "manager", "admin")
            }
            # Let the worker try the answer back (its target is down) and log the failure.
            await until_attempted(c, made["pos"], keys["pos_operator"])
    finally:
        work.stop()
        api.stop()

    raw = {"api": api.log(), "worker": work.log()}
    # Percent-encoded canaries (a search in a query string) count as leaks too.
    logs = {name: text + "\n" + unquote_plus(text) for name, text in raw.items()}
    assert logs["api"].strip() and logs["worker"].strip()  # the logs really were captured
    assert "refused: message.location.latitude" in logs["api"]  # the error paths were taken
    for needle in [*needles(), str(TG_CHAT), TG_CHAT_HASH]:
        for name, text in logs.items():
            assert needle not in text, f"{needle!r} in the {name} log"
        assert needle not in metrics, f"{needle!r} in /metrics"
    for secret in (NEW_SECRET, *SECRETS.split(","), TG_SECRET, TG_TOKEN, HASH_KEY, FERNET,
                   *keys.values()):  # fmt: skip
        for name, text in logs.items():
            assert secret not in text, f"a secret in the {name} log"
            for part in secret.removeprefix("whsec_").split(":"):
                if len(part) >= 12:
                    assert part not in text, f"part of a secret in the {name} log"

    full_name, _, phone, email = CANARY["manual"]
    for role in ("operator", "manager"):
        applicant = views[role]["applicant"]
        assert applicant["full_name"] == full_name and applicant["phone"] == phone, role
        assert applicant["email"] == email, role
    masked = views["admin"]
    assert masked["applicant"]["masked"] is True
    for needle in (full_name, phone, phone[2:], email):
        assert needle not in str(masked)
