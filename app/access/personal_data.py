"""Masking personal data (152-ФЗ) for roles and places that must not see it in full."""

from __future__ import annotations

import re
from typing import Any

# A match may start only where a run of address characters starts: otherwise a long run of
# letters with no «@» in it was scanned again from every one of its positions (quadratic: a
# 200 000-letter field took 40 s to mask, freezing the process that listed the quarantine).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+")
# A phone number in free text: 10 or 11 digits, spaces, dashes and brackets between them
# («+7 (924) 555-12-34», «8 (42352) 2-11-43», «7-924-555-12-38», «9245551241»). Not after a
# letter and a dash (SD-2026-000123), inside a decimal or a longer number; ``_is_phone`` then
# keeps what is not a Russian number (a date, an account number, an amount of money).
_PHONE_RUN = re.compile(
    r"(?<![\w+/])(?<!\d[.,])(?<![A-Za-z\d]-)(?:\+\s?)?\(?\d"
    r"(?:[ \t\u00a0()-]{0,3}\d){9,10}(?![\w.,/-]?\d)(?!\w)"
)
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})+")  # 8 500 000 000: an amount
_MONEY_AFTER = re.compile(r"\s*(?:руб|р\.|₽|коп|тыс|млн|млрд|rub|usd|eur|\$|€|%)", re.I)
# After the country code (7, or the trunk 8) a Russian number's code starts with 3, 4, 8 or 9.
_CODE_START = "3489"


def mask_name(value: str | None) -> str | None:
    """«Петрова Ольга Игоревна» → «П. О. И.»"""
    if not value:
        return value
    return " ".join([part[0] + "." for part in value.split()])


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return "***" if value else value
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    # The last two digits (``\d``: any decimal digit, as ``str.isdecimal``), read from the end.
    last = ""
    for char in reversed(value):
        if char.isdecimal():
            if last:
                return f"***{char}{last}"
            last = char
    return "***"


def mask_address(value: str | None) -> str | None:
    return "***" if value else value


def scrub_text(text: str) -> str:
    """Replace e-mails and phone numbers inside free text: the one masking of text for logs,
    the quarantine, purged tickets, Open311 and the digest."""
    return _PHONE_RUN.sub(_phone_or_kept, _EMAIL.sub("[email]", text))


def _phone_or_kept(match: re.Match[str]) -> str:
    found = match.group(0)
    return "[phone]" if _is_phone(found, match.string, match.end()) else found


def _is_phone(found: str, text: str, end: int) -> bool:
    """A Russian mobile or landline number: +7 or 7 or 8 and ten digits, or the ten digits
    alone; not grouped by thousands and not followed by a currency (then it is money)."""
    digits = re.sub(r"\D", "", found)
    if len(digits) == 11:
        prefixes = "7" if found.startswith("+") else "78"
        ok = digits[0] in prefixes and digits[1] in _CODE_START
    else:
        ok = not found.startswith("+") and digits[0] in _CODE_START
    return ok and not _THOUSANDS.fullmatch(found) and not _MONEY_AFTER.match(text, end)


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
