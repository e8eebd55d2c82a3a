"""Signatures over bytes that are not UTF-8 are what the spec defines, and the same as the
library's for UTF-8 bodies."""

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from app.connectors.base import sign_standard_webhook, verify_standard_webhook
from app.errors import SignatureInvalid

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _headers(body: bytes, msg_id: str = "msg_1") -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(AT.timestamp())),
        "webhook-signature": sign_standard_webhook(SECRET, msg_id=msg_id, timestamp=AT, body=body),
    }


def test_a_utf8_body_is_signed_as_the_library_signs_it():
    body = '{"text": "Яма на дороге"}'.encode()
    ours = sign_standard_webhook(SECRET, msg_id="msg_1", timestamp=AT, body=body)
    assert ours == Webhook(SECRET).sign(msg_id="msg_1", timestamp=AT, data=body.decode())


def test_a_correctly_signed_body_that_is_not_utf8_passes_the_signature():
    body = '{"text": "яма"}'.encode("utf-16")
    assert verify_standard_webhook(body, _headers(body), secrets=[SECRET], now=AT) == "msg_1"


def test_a_body_that_is_not_utf8_with_a_wrong_signature_is_refused():
    body = b'{"text": "\xff\xfe"}'
    headers = _headers(body)
    with pytest.raises(SignatureInvalid):
        verify_standard_webhook(body + b" ", headers, secrets=[SECRET], now=AT)


@pytest.mark.parametrize("msg_id", ["msg_\u00e9", "msg_\u00c3\u00a9", "msg_й", "msg_\u00a0"])
def test_a_webhook_id_outside_printable_ascii_is_malformed(msg_id):
    body = b"{}"
    with pytest.raises(SignatureInvalid, match="malformed webhook-id"):
        verify_standard_webhook(body, _headers(body, msg_id), secrets=[SECRET], now=AT)
