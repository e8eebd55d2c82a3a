"""Full-text search on lemmas: the text a ticket is found by, and a user's query in the same form.

PostgreSQL's ``russian`` configuration stems with Snowball, which gives forms of one word
different stems («батарея» → «батаре», «батареи» → «батар»). So the hub lemmatises in Python
(pymorphy3, ``app.routing.ru_text``): ``tickets.search_text`` holds the lemmas of the text and
address, ``tickets.search`` is ``to_tsvector('simple', search_text)`` (generated, GIN-indexed),
and a query is lemmatised the same way before ``websearch_to_tsquery('simple', …)``.

Every place that writes a ticket's text or address calls :func:`refresh_search_text` (creation,
edits, source updates, chat-bot additions, personal-data purge).
"""

from __future__ import annotations

import re

from app.models.tickets import Ticket
from app.routing.ru_text import STOP_WORDS, WORD_PATTERN, lemma, lemmas, normalise

# websearch syntax: a quoted phrase (an unclosed quote runs to the end), or a loose token.
_PHRASE_OR_TOKEN = re.compile(r'"[^"]*"?|[^\s"]+')


def search_document(text: str | None, address: str | None) -> str:
    """The lemmas of the text and then the address, in order, space-separated."""
    return " ".join(lemmas(f"{text or ''} {address or ''}"))


def refresh_search_text(ticket: Ticket) -> None:
    """Recompute the ticket's lemma text after its text or address changed."""
    ticket.search_text = search_document(ticket.text, ticket.address)


def _lemmatise_words(chunk: str) -> str:
    return WORD_PATTERN.sub(lambda m: lemma(m.group()), chunk)


def _loose(token: str) -> str | None:
    """A token outside quotes: lemmatised; a lone preposition or greeting is dropped, as the
    ``russian`` configuration dropped its stop words (``simple`` has none)."""
    found = WORD_PATTERN.findall(token)
    if found and all(w in STOP_WORDS for w in found):
        return None
    return _lemmatise_words(token)


def search_query(q: str) -> str:
    """A user's websearch query with every word as its lemma; quotes, ``-`` and ``or`` kept:
    ``"холодные батареи" -подъезде`` → ``"холодный батарея" -подъезд``. Inside quotes every
    word stays (the phrase needs its words in order); a query of stop words only is kept as is."""
    q = normalise(q)
    parts: list[str] = []
    for m in _PHRASE_OR_TOKEN.finditer(q):
        token = m.group()
        if token.startswith('"'):
            parts.append(_lemmatise_words(token))
        else:
            loose = _loose(token)
            if loose is not None:
                parts.append(loose)
    return " ".join(parts) if parts else q
