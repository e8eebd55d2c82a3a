"""Places named by what stands there rather than by street: «школа № 2» = «у второй школы»,
«МБДОУ № 14» = «в 14 садике», «городской парк» = «в горпарке» (pure).

The key is the kind and its number (``школа 2``, ``детсад 14``), or the kind alone (``парк``,
``рынок``) — a kind without a number is an area, like a street without a house.
"""

from __future__ import annotations

from functools import lru_cache

from app.dedup.place import Place, Token
from app.routing.ru_text import lemma

# kind: word forms that name it (compared by lemma; several forms where the analyser differs)
_KINDS = {
    "школа": "школа школе школы сош мбоу моу маоу гимназия лицей",
    "детсад": "детсад детсада садик садике садика доу мбдоу мадоу ясли яслях",
    "больница": "больница больнице цгб црб",
    "поликлиника": "поликлиника поликлинике",
    "парк": "парк парке парка горпарк горпарке сквер сквере",
    "рынок": "рынок рынке рынка",
    "вокзал": "вокзал вокзале вокзала",
    "стадион": "стадион стадионе",
    "кладбище": "кладбище кладбища",
    "дк": "дк",
}
_PAIRS = {("детский", "сад"): "детсад", ("городской", "парк"): "парк", ("дом", "культура"): "дк"}
_ORDINAL = [
    "первый", "второй", "третий", "четвертый", "пятый", "шестой", "седьмой", "восьмой",
    "девятый", "десятый", "одиннадцатый", "двенадцатый", "тринадцатый", "четырнадцатый",
    "пятнадцатый", "шестнадцатый", "семнадцатый", "восемнадцатый", "девятнадцатый", "двадцатый",
]  # fmt: skip
_NUMBER_MARKS = frozenset({"№", "н", "номер"})


@lru_cache(maxsize=1)
def _kinds() -> dict[str, str]:
    return {lemma(w): kind for kind, forms in _KINDS.items() for w in forms.split()}


def _number(t: Token) -> str | None:
    if t.kind == "num" and t.text.isdigit():
        return t.text
    if t.kind == "ord":
        return "".join(ch for ch in t.text if ch.isdigit())
    if t.kind == "word" and lemma(t.text) in _ORDINAL:
        return str(_ORDINAL.index(lemma(t.text)) + 1)
    return None


def landmark(toks: list[Token]) -> tuple[Place | None, set[int]]:
    """The first landmark the tokens name, with its number if it has one, and the positions
    of the tokens it took (so the street parser leaves them alone)."""
    kinds = _kinds()
    lem = [lemma(t.text) if t.kind == "word" else t.text for t in toks]
    for i in range(len(toks)):
        kind = kinds.get(lem[i])
        width = 1
        if i + 1 < len(toks) and (lem[i], lem[i + 1]) in _PAIRS:
            kind, width = _PAIRS[(lem[i], lem[i + 1])], 2
        if kind is None:
            continue
        used = set(range(i, i + width))
        j = i + width
        while j < len(toks):  # «МБОУ СОШ», «МБДОУ «Детский сад» № 12»
            step = 2 if (lem[j], lem[j + 1] if j + 1 < len(toks) else "") in _PAIRS else 1
            if step == 1 and kinds.get(lem[j]) is None:
                break
            used |= set(range(j, j + step))
            j += step
        if j < len(toks) and toks[j].text in _NUMBER_MARKS:
            used.add(j)
            j += 1
        number = _number(toks[j]) if j < len(toks) else None
        if number:
            used.add(j)
        elif i and (number := _number(toks[i - 1])):
            used.add(i - 1)
        return Place((kind,), number or None), used
    return None, set()
