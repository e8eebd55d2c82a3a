"""Structured JSON logs with the request id and personal data scrubbed."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime

from app.access.personal_data import scrub_text

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# What database errors quote of the data, whatever the engine was told: PostgreSQL's DETAIL
# line («Key (chat_hash, update_id)=(…) already exists», «Failing row contains (…)»),
# SQLAlchemy's bound parameters, asyncpg's refusal of a value before sending it; and the
# chat-bot's Fernet-sealed chat ids and 64-hex keyed hashes.
_LEAKS = (
    (re.compile(r"DETAIL:[^\n]*"), "DETAIL: [hidden]"),
    (re.compile(r"\[parameters: [^\n]*"), "[parameters hidden]"),
    (re.compile(r"(invalid input for query argument \$\d+):[^\n]*"), r"\1: [value hidden]"),
    (re.compile(r"gAAAAA[\w=-]{20,}"), "[sealed]"),
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{64}(?![0-9a-fA-F])"), "[hash]"),
)


def scrub_log(text: str) -> str:
    """A log line without personal data (e-mails, phones) or the data database errors quote."""
    for pattern, replacement in _LEAKS:
        text = pattern.sub(replacement, text)
    return scrub_text(text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub_log(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = scrub_log(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub_log(super().format(record))


class DropQueryStrings(logging.Filter):
    """Access log lines keep the path only: query strings carry searches (names, phones)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            if sep:
                record.args = (*args[:2], path + "?…", *args[3:])
        return True


def configure_logging(level: str = "INFO", *, as_json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if as_json else PlainFormatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
