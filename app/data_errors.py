"""PostgreSQL's data exceptions (SQLSTATE class 22) told as what went wrong with the input.

Every source field is bounded where it is parsed, so these are the backstop: a value that got
past the checks is answered (422, or one rejected import row) with its real cause — too long,
out of range, bad encoding — never a 500 and never a guess. Only PostgreSQL's own message is
quoted (it names the type, not the value); the values themselves never appear.
"""

from __future__ import annotations

_CAUSES: dict[str, str] = {
    # asyncpg's own check before sending: its message quotes the value.
    "22000": "a value is out of range or of the wrong type for its field",
    "22001": "a value is longer than its field allows",
    "22003": "a number is out of range",
    "22008": "a date or time is out of range",
    "22007": "a date or time is not in a valid format",
    "22021": "the text holds characters that cannot be stored (NUL, or bytes not in UTF-8)",
    "22P05": "the text holds characters that cannot be stored (NUL, or bytes not in UTF-8)",
    "22P02": "a value is not in the format its field needs",
    "22023": "a value is not valid for its field",
}
_BAD_ENCODING = "the text holds characters that cannot be stored (NUL or unpaired surrogates)"
# PostgreSQL's messages for these name the type and never the value: quoted as a detail.
_QUOTED = frozenset({"22001", "22003"})


def _chain(exc: BaseException) -> list[BaseException]:
    seen: set[int] = set()
    found = []
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def data_error_cause(exc: BaseException) -> str | None:
    """What the input did wrong, when ``exc`` (or its cause) is a data exception; else None."""
    chain = _chain(exc)
    for current in chain:
        if isinstance(current, UnicodeError):
            return _BAD_ENCODING
        sqlstate = str(getattr(current, "sqlstate", "") or "")
        if not sqlstate.startswith("22"):
            continue
        cause = _CAUSES.get(sqlstate, f"a value cannot be stored (SQLSTATE {sqlstate})")
        if sqlstate in _QUOTED:
            # The driver's own exception, further down the chain, carries the bare message.
            messages = [str(getattr(c, "message", "") or "") for c in chain]
            detail = next((m for m in messages if m and "\n" not in m), None)
            cause += f" ({detail})" if detail else ""
        return cause
    return None
