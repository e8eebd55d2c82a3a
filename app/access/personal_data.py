"""Masking personal data (152-ФЗ) for roles and places that must not see it in full."""

from __future__ import annotations

import re

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
