"""The console's search box: a ticket by its number, its source's number, its words or the words
of its answers (``TicketFilters.words``).

The ticket's own words go through its lemma index (``tickets.search``, as the API's ``q``).
Answers have no index of their own: their words are matched with PostgreSQL's Russian stemmer
on the answers of each ticket the other conditions leave (department, status), which is cheap
in one department's inbox and costs a pass over the answers of every ticket in scope when the
scope is everything. A number finds the ticket whatever else it says: «SD-2026-000070»,
«2026-000070», «000070», «70», «№ SD-2026-000070» and «SD 2026 000070» all find
SD-2026-000070.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    any_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
)
from sqlmodel import col, select

from app.models.tickets import Ticket, TicketAnswer
from app.tickets.search_text import search_query

# «SD-2026-000070», «SD 2026 000070», «sd/2026/70»: parts joined by a dash, space, slash, dot
# or underscore; a leading «№», «#» or «No.» is not part of it.
_NUMBER = re.compile(r"^(?:([A-Za-z]{1,6})[-\s/._]*)?(?:(\d{4})[-\s/._]+)?(\d{1,12})$")
_NUMBER_SIGN = re.compile(r"^(?:№|#|No\.?(?=\s|\d))\s*", re.IGNORECASE)
# A number without its year is looked for in this many years back (and the next one).
YEARS_BACK = 15


def ticket_numbers(q: str, *, prefix: str, year: int) -> list[str]:
    """The public numbers ``q`` may mean (``SD-2026-000070`` for «70» in 2026), none for words."""
    match = _NUMBER.match(_NUMBER_SIGN.sub("", q.strip()))
    if match is None:
        return []
    given_prefix, given_year, seq = match.groups()
    prefixes = [given_prefix.upper()] if given_prefix else [prefix]
    years = [int(given_year)] if given_year else range(year + 1, year - YEARS_BACK, -1)
    return [f"{p}-{y}-{int(seq):06d}" for p in prefixes for y in years]


def params(words: str, numbers: list[str]) -> dict[str, Any]:
    """The bound values of ``condition``."""
    values: dict[str, Any] = {
        "words": search_query(words),
        "words_raw": words,
        "words_source_id": words.strip()[:128],
    }
    if numbers:
        values["words_numbers"] = numbers
    return values


def condition(values: dict[str, Any]) -> ColumnElement[bool]:
    """The ticket has the number, the source number, the words, or an answer with the words."""
    ticket_words = func.websearch_to_tsquery(
        literal_column("'simple'"), bindparam("words", type_=String())
    )
    answer_words = func.websearch_to_tsquery(
        literal_column("'russian'"), bindparam("words_raw", type_=String())
    )
    answered = exists(
        select(literal_column("1"))
        .select_from(TicketAnswer)
        .where(
            col(TicketAnswer.ticket_id) == col(Ticket.id),
            func.to_tsvector(literal_column("'russian'"), col(TicketAnswer.text)).op("@@")(
                answer_words
            ),
        )
    )
    ways: list[ColumnElement[bool]] = [
        col(Ticket.source_id) == bindparam("words_source_id", type_=String()),
        col(Ticket.search).op("@@")(ticket_words),
        answered,
    ]
    if "words_numbers" in values:
        numbers = bindparam("words_numbers", type_=ARRAY(String()))
        ways.insert(0, col(Ticket.number) == any_(numbers))
    return or_(*ways)
