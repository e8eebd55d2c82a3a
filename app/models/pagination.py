"""Opaque keyset cursors."""

from __future__ import annotations

import base64
import json
from typing import Any

from app.errors import ValidationFailed


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list[Any]:
    """Decode a cursor made by ``encode_cursor`` or raise a 422 naming the parameter."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("the cursor is not one this API issued", field="cursor") from exc
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed("the cursor is not one this API issued", field="cursor")
    return values
