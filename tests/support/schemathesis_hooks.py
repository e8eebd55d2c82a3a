"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks): sign the generated
bodies of the ПОС and IM webhooks the way the sources do, so the fuzzer gets past the
signature into parsing, quarantine and ingestion. The secret is APPEALS_FUZZ_WEBHOOK_SECRET."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import schemathesis
from schemathesis.core import NOT_SET

from app.connectors.base import signed_headers

SIGNED_PATHS = ("/api/v1/webhooks/feedback-platform", "/api/v1/webhooks/incident-management")


def body_bytes(body: Any) -> bytes | None:
    """The bytes the requests transport will send for a JSON body (None: cannot tell)."""
    if body is NOT_SET:
        return b""
    if isinstance(body, bytes):
        return body
    if body is None:
        return b"null"
    try:
        return json.dumps(body, allow_nan=False).encode()  # what requests' json= sends
    except (TypeError, ValueError):
        return None


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    secret = os.environ.get("APPEALS_FUZZ_WEBHOOK_SECRET")
    if not secret or case.operation.path not in SIGNED_PATHS:
        return
    body = body_bytes(case.body)
    if body is None:
        return  # left unsigned: a 401, which is documented
    headers = signed_headers(
        secret, msg_id=f"msg_{uuid.uuid4().hex}", timestamp=datetime.now(UTC), body=body
    )
    case.headers = {**(case.headers or {}), **headers}
