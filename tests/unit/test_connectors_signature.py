from datetime import UTC, datetime, timedelta

import pytest

from app.connectors.base import verify_standard_webhook
from app.errors import SignatureInvalid
from tests.support.webhooks import NEW_SECRET, OLD_SECRET, signed

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
BODY = '{"posId": 1, "description": "Яма"}'.encode()
SECRETS = [NEW_SECRET, OLD_SECRET]


def verify(body: bytes, headers: dict[str, str]) -> str:
    return verify_standard_webhook(body, headers, secrets=SECRETS, now=NOW)


@pytest.mark.parametrize("secret", [NEW_SECRET, OLD_SECRET])
def test_either_secret_is_accepted(secret):
    assert verify(BODY, signed(BODY, secret=secret, msg_id="msg_1", at=NOW)) == "msg_1"


def test_any_of_several_signatures_may_match():
    headers = signed(BODY, secret=OLD_SECRET, msg_id="msg_2", at=NOW)
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
    assert verify(BODY, headers) == "msg_2"


@pytest.mark.parametrize("offset", [300, -300])
def test_tolerance_edges_pass(offset):
    headers = signed(BODY, msg_id="msg_3", at=NOW + timedelta(seconds=offset))
    assert verify(BODY, headers) == "msg_3"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda h, b: (signed(b, secret="whsec_d3Jvbmc=", at=NOW), b), id="wrong"),
        pytest.param(lambda h, b: (h, b.replace(b"1", b"2")), id="changed-byte"),
        pytest.param(lambda h, b: ({}, b), id="no-headers"),
        pytest.param(lambda h, b: ({**h, "webhook-signature": "garbage"}, b), id="no-comma"),
        pytest.param(lambda h, b: ({**h, "webhook-signature": "v1,!!!"}, b), id="bad-base64"),
        pytest.param(lambda h, b: ({**h, "webhook-signature": "v2,abc="}, b), id="version"),
        pytest.param(lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), id="bad-timestamp"),
        pytest.param(lambda h, b: ({**h, "webhook-timestamp": "1e99"}, b), id="huge-timestamp"),
        pytest.param(lambda h, b: (signed(b, at=NOW - timedelta(seconds=301)), b), id="old"),
        pytest.param(lambda h, b: (signed(b, at=NOW + timedelta(seconds=301)), b), id="future"),
        pytest.param(lambda h, b: (h, b + b"\xff"), id="not-utf8"),
    ],
)
def test_refused(mutate):
    headers, body = mutate(signed(BODY, at=NOW), BODY)
    with pytest.raises(SignatureInvalid):
        verify(body, headers)


def test_no_secret_configured_refuses():
    with pytest.raises(SignatureInvalid):
        verify_standard_webhook(BODY, signed(BODY, at=NOW), secrets=[], now=NOW)
