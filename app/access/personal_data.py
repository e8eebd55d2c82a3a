"""Masking personal data (152-ФЗ) for roles and places that must not see it in full."""

from __future__ import annotations

import re
from typing import Any

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")


def mask_name(value: str | None) -> str | None:
    """«Петрова Ольга Игоревна» → «П. О. И.»"""
    if not value:
        return value
    return " ".join(part[0] + "." for part in value.split() if part)


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return "***" if value else value
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    return f"***{digits[-2:]}" if len(digits) >= 2 else "***"


def mask_address(value: str | None) -> str | None:
    return "***" if value else value


def scrub_text(text: str) -> str:
    """Replace e-mails and phone numbers inside free text (used by the log formatter)."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def mask_value(key: str | None, value: str) -> str | None:
    """One personal value, masked by the kind its field name says (e-mail, phone, address, a
    name); anything else (an id, a profile link) is hidden whole."""
    kind = (key or "").lower()
    if "mail" in kind:
        return mask_email(value)
    if "phone" in kind:
        return mask_phone(value)
    if "address" in kind:
        return mask_address(value)
    if "name" in kind or "patronymic" in kind:
        return mask_name(value)
    return "***" if value else value


def mask_document(document: Any, personal: frozenset[str]) -> Any:
    """A JSON document with personal data masked: every value under a key in ``personal`` (a
    source's applicant, author …) by its kind, and e-mails and phone numbers in any other text."""
    return _walk(document, personal, None, inside=False)


def _walk(value: Any, personal: frozenset[str], key: str | None, *, inside: bool) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, personal, k, inside=inside or k in personal) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, personal, key, inside=inside) for v in value]
    if isinstance(value, str):
        return mask_value(key, value) if inside else scrub_text(value)
    if inside and value is not None and not isinstance(value, bool):
        return "***"  # a number under a personal key: an ЕСИА id, a phone sent as a number
    return value
