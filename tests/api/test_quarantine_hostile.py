"""The quarantine list survives whatever a source can sign: bodies Python decodes but cannot
encode (a lone surrogate), NUL, numbers beyond a float or an int, nesting deeper than the stack;
and it masks what the sender put in headers, not only in the body."""

from __future__ import annotations

import json

import httpx
import pytest

from app.main import create_app
from tests.support.builders import auth, make_key
from tests.support.webhooks import IM_URL, POS_URL, encode, sample, signed, webhook_settings

HUGE_INT = "9" * 5000
DEPTH = 50_000
# Signed IM deliveries, each invalid (so quarantined), each hostile to display in its own way.
NASTY: dict[str, bytes] = {
    "surrogate": b'{"id":"x","text":"\\ud800"}',
    "surrogate_in_pd": (
        '{"id":"y","author":{"name":"Сорокин\\udfff Павел"},'
        '"text":"звоните 89241239876 \\udc00 или sorokin@mail.example"}'
    ).encode(),
    "nul": b'{"id":"z","text":"a\\u0000b"}',
    "inf": b'{"id":"w","text":"t","score":1e400,"low":-1e400}',
    "nan_literal": b'{"id":"v","score":NaN,"top":Infinity}',
    "huge_int": b'{"id":' + HUGE_INT.encode() + b',"text":"t"}',
    "deep": b'{"id":"u","text":' + b"[" * DEPTH + b"]" * DEPTH + b"}",
}


@pytest.fixture
async def hooks(db):
    app = create_app(db=db, settings=webhook_settings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


def strict_json(text: str) -> object:
    """JSON as every client reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


async def quarantined(client: httpx.AsyncClient, body: bytes, url: str = IM_URL) -> int:
    r = await client.post(url, content=body, headers=signed(body))
    assert r.status_code == 422, r.text
    return int(r.json()["delivery_id"])


async def test_the_list_shows_every_hostile_body_masked(db, hooks):
    admin = auth(await make_key(db, "admin"))
    ids = {name: await quarantined(hooks, body) for name, body in NASTY.items()}

    r = await hooks.get("/api/v1/quarantine", params={"limit": 50}, headers=admin)
    assert r.status_code == 200, r.text
    items = {item["id"]: item for item in r.json()["items"]}
    shown = {name: items[i] for name, i in ids.items()}
    bodies = {n: strict_json(v["body"]) for n, v in shown.items() if v["body"] is not None}

    assert bodies["surrogate"] == {"id": "x", "text": "\ufffd"}
    pd = bodies["surrogate_in_pd"]
    assert pd["author"] == {"name": "С. П."}  # a personal key: masked by its kind
    assert pd["text"] == "звоните [phone] \ufffd или [email]"
    assert bodies["nul"] == {"id": "z", "text": "a\x00b"}
    assert bodies["inf"] == {"id": "w", "text": "t", "score": "1e400", "low": "-1e400"}
    assert bodies["nan_literal"] == {"id": "v", "score": "NaN", "top": "Infinity"}
    assert bodies["huge_int"] == {"id": HUGE_INT, "text": "t"}
    assert shown["deep"]["body"] is None and shown["deep"]["body_unavailable"]
    for secret in ("Сорокин", "Павел", "89241239876", "sorokin@"):
        assert secret not in r.text


async def test_header_values_are_masked_unless_allow_listed(db, hooks):
    admin = auth(await make_key(db, "admin"))
    message = sample("pos_message.json")
    del message["description"]  # invalid: quarantined
    body = encode(message)
    headers = signed(body) | {
        "From": "sorokin@mail.example",
        "X-Applicant": "Sorokin Pavel +79241239876",
        "User-Agent": "pos-sender/2.1 (support: ops@pos.example, 8 800 555-35-35)",
    }
    r = await hooks.post(POS_URL, content=body, headers=headers)
    assert r.status_code == 422, r.text

    r = await hooks.get("/api/v1/quarantine", headers=admin)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    shown = item["headers"]
    assert shown["from"] == "***" and shown["x-applicant"] == "***"
    assert shown["user-agent"] == "pos-sender/2.1 (support: [email], [phone])"
    assert shown["content-type"] == "application/json"
    assert shown["webhook-id"] == headers["webhook-id"]
    assert shown["webhook-timestamp"] == headers["webhook-timestamp"]
    assert "webhook-signature" not in shown
    for secret in ("sorokin", "Sorokin", "Pavel", "79241239876", "ops@pos"):
        assert secret not in r.text


async def test_every_usual_phone_spelling_is_masked_in_the_body(db, hooks):
    admin = auth(await make_key(db, "admin"))
    phones = [
        "79245551238",
        "7-924-555-12-38",
        "9245551241",
        "+7 (42352) 2-11-43",
        "8 (42352) 2-11-43",
        "+79245551238",
        "89245551238",
        "+7 (924) 555-12-34",
        "8 924 555 12 36",
    ]
    kept = "заявка SD-2026-000123 от 14.03.2026, ущерб 1 500 000 руб."
    message = sample("pos_message.json")
    del message["description"]  # invalid: quarantined
    message["location"] = "; ".join(phones) + "; " + kept
    await quarantined(hooks, encode(message), POS_URL)

    r = await hooks.get("/api/v1/quarantine", headers=admin)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert strict_json(item["body"])["location"] == "; ".join(["[phone]"] * len(phones)) + (
        "; " + kept
    )
