"""Signature checks through a real uvicorn process and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.builders import auth, make_key
from tests.support.intake_http import processed
from tests.support.webhooks import (
    IM_URL,
    NEW_SECRET,
    OLD_SECRET,
    POS_URL,
    PROBLEM,
    encode,
    sample,
    signed,
    start_webhook_api,
)


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    proc, base = start_webhook_api(database_url, tmp_path_factory.mktemp("api"))
    yield base
    proc.stop()


@pytest.fixture
async def http(server, db):
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


BODY = encode(sample("im_incident.json"))


@pytest.mark.parametrize("secret", [NEW_SECRET, OLD_SECRET], ids=["new", "old"])
async def test_both_secrets_of_a_rotation_are_accepted(http, db, secret):
    r = await http.post(IM_URL, content=BODY, headers=signed(BODY, secret=secret))
    assert r.status_code == 202, r.text
    assert r.json()["outcome"] == "received"
    # The server's own intake pipeline makes the ticket; the 202's Location tells when.
    integration = auth(await make_key(db, "integration", "roads"))
    assert (await processed(http, r, integration))["status"] == "created"


def _wrong_secret():
    return BODY, signed(BODY, secret="whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==")


def _changed_byte():
    headers = signed(BODY)
    return BODY.replace(b"vk.com/wall", b"vk.com/walL", 1), headers


def _missing_headers():
    headers = signed(BODY)
    del headers["webhook-signature"]
    return BODY, headers


def _no_headers():
    return BODY, {"content-type": "application/json"}


def _malformed_signature():
    return BODY, {**signed(BODY), "webhook-signature": "v1;;not base64 at all,,,"}


def _malformed_timestamp():
    return BODY, {**signed(BODY), "webhook-timestamp": "2026-11-20T10:00:00Z"}


def _too_old():
    return BODY, signed(BODY, at=datetime.now(UTC) - timedelta(seconds=301))


def _in_the_future():
    # The server reads its clock after the request travelled; a few seconds of margin keep
    # "301 s ahead" true on a loaded machine. The exact edges (±300 s pass, ±301 s fail) are
    # tested with a frozen clock in test_webhooks_delivery.py.
    return BODY, signed(BODY, at=datetime.now(UTC) + timedelta(seconds=301 + 10))


@pytest.mark.parametrize(
    "make",
    [
        _wrong_secret,
        _changed_byte,
        _missing_headers,
        _no_headers,
        _malformed_signature,
        _malformed_timestamp,
        _too_old,
        _in_the_future,
    ],
)
@pytest.mark.parametrize("url", [IM_URL, POS_URL])
async def test_refused_with_401_problem(http, make, url):
    body, headers = make()
    r = await http.post(url, content=body, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["status"] == 401
    assert problem["type"].endswith("/invalid-signature")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (BODY.decode().encode("utf-16"), "UTF-16"),
        (BODY.decode().encode("utf-16-le"), "NUL bytes"),
        (b"\xef\xbb\xbf" + BODY, "byte-order mark"),
        (BODY.replace(b"{", b"{\xff", 1), "not UTF-8"),
    ],
    ids=["utf-16", "utf-16-le", "utf-8-bom", "stray-byte"],
)
async def test_a_signed_body_that_is_not_utf8_is_quarantined_not_called_forged(http, db, body, why):
    """The sender signed these bytes correctly: the signature passes, and the body, which is not
    UTF-8 JSON, is refused as invalid (422), saying why, and kept in quarantine for an admin."""
    r = await http.post(IM_URL, content=body, headers=signed(body))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert why in r.json()["detail"], r.json()
    delivery_id = r.json()["delivery_id"]
    admin = auth(await make_key(db, "admin"))
    listed = await http.get("/api/v1/quarantine", headers=admin)
    assert delivery_id in [item["id"] for item in listed.json()["items"]]
