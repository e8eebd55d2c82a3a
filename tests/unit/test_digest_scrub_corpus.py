"""The digest's quote scrubber on a hand-labelled corpus of citizens' texts: how many of the
labelled spans (names, flats, health, phones, e-mails) it removes, and how many of the words
that must stay it keeps. Prints the figures docs/CHANNELS.md quotes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

from app.reports.scrub import scrub_quote

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "digest_scrub_corpus.yaml"


def tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"\w+", text.lower()) if len(t) >= 2 or t.isdigit()]


def strip_marks(text: str) -> str:
    return re.sub(r"\[(?:имя|кв\.|о здоровье|телефон|эл\. почта)\]", " ", text)


def removed(span: str, source: str, output: str) -> bool:
    """Every word of the span is gone (a word the text also has elsewhere may stay as often)."""
    left, out = Counter(tokens(source)), Counter(tokens(strip_marks(output)))
    need = Counter(tokens(span))
    return all(out[word] <= left[word] - n for word, n in need.items())


def test_scrubber_corpus_recall_and_keep_rate() -> None:
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    assert len(corpus) >= 40
    spans = spans_removed = keeps = kept = 0
    cut_total = cut_labelled = 0
    misses: list[str] = []
    for item in corpus:
        text, out = item["text"], scrub_quote(item["text"])
        for span in item["remove"]:
            spans += 1
            if removed(span, text, out):
                spans_removed += 1
            else:
                misses.append(f"left {span!r}: {out}")
        for word in item["keep"]:
            keeps += 1
            if word.lower() in out.lower():
                kept += 1
            else:
                misses.append(f"lost {word!r}: {out}")
        labelled = Counter(t for span in item["remove"] for t in tokens(span))
        cut = Counter(tokens(text)) - Counter(tokens(strip_marks(out)))
        cut_total += sum(cut.values())
        cut_labelled += sum((cut & labelled).values())
    recall, keep_rate = spans_removed / spans, kept / keeps
    precision = cut_labelled / cut_total if cut_total else 1.0
    print(
        f"\nscrub corpus: {len(corpus)} texts; removals {spans_removed}/{spans} "
        f"(recall {100 * recall:.1f} %); kept words {kept}/{keeps} "
        f"(keep rate {100 * keep_rate:.1f} %); words cut that were labelled "
        f"{cut_labelled}/{cut_total} (precision {100 * precision:.1f} %)"
    )
    print("\n".join(misses))
    assert recall >= 0.9, misses
    assert keep_rate >= 0.95, misses


def test_the_issue_example_and_places_named_after_people() -> None:
    text = (
        "…ул. Ленина, д. 5, кв. 12… упала моя соседка Сидорова Мария, пенсионерка, "
        "сломала руку… Звоните +7 924 111-22-33, pochta@mail.ru"
    )
    out = scrub_quote(text)
    for leak in ("Сидорова", "Мария", "кв. 12", "сломала руку", "111-22-33", "pochta@mail.ru"):
        assert leak not in out
    assert "ул. Ленина, д. 5" in out and "упала" in out
    assert "Карла Маркса" in scrub_quote("Яма у дома 15 по улице Карла Маркса")
    assert scrub_quote("Звонила Ольга", known=["Ольга"]) == "Звонила [имя]"


def test_markers_are_russian() -> None:
    out = scrub_quote("Телефон 8 924 555-12-34, почта pochta@mail.ru, звонила Сидорова Мария")
    assert out == "Телефон [телефон], почта [эл. почта], звонила [имя]"
    assert not re.search(r"[A-Za-z]", out)


def test_a_street_without_its_prefix_followed_by_a_house_number_stays() -> None:
    assert scrub_quote("не пройти к остановке, Матросова 3") == "не пройти к остановке, Матросова 3"
    for place in ("Гагарина 12а", "Ломоносова 5/2", "Есенина д. 8"):
        assert place in scrub_quote(f"Пишу уже второй раз: {place}, яма на дороге"), place
    # A number that is not a house keeps the name a name.
    assert scrub_quote("Сосед Петров 70 лет живёт один") == "Сосед [имя] 70 лет живёт один"
    assert "Сидорова" not in scrub_quote("Позвонила Сидорова 3 раза, никто не ответил")
