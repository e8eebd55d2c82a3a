"""An Excel export row as the intake inbox stores it: JSON with its dates kept as dates."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

_TAG = "$t"


def _encode(value: object) -> Any:
    if isinstance(value, datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, time):
        return {_TAG: "time", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {_TAG: "timedelta", "v": value.total_seconds()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _decode(value: Any) -> object:
    if isinstance(value, dict) and _TAG in value:
        kind, raw = value[_TAG], value["v"]
        if kind == "datetime":
            return datetime.fromisoformat(raw)
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "time":
            return time.fromisoformat(raw)
        return timedelta(seconds=raw)
    return value


def encode_row(row: dict[str, object]) -> bytes:
    """The row's cells by column title, as UTF-8 JSON."""
    return json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False).encode()


def decode_row(body: bytes) -> dict[str, object]:
    return {k: _decode(v) for k, v in json.loads(body).items()}
