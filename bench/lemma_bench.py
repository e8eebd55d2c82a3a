"""Time lemmatising typical appeal texts (pymorphy3, app.routing.ru_text): cold and warm cache.

    .venv/bin/python -m bench.lemma_bench [--texts 10000]

``cold``: the per-word cache empty (the analyser already built, its build timed apart);
``warm``: the same texts again; ``uncached``: every word through pymorphy3, the upper bound
for texts whose words the cache has not seen (real appeals are more varied than the seed's).
"""

from __future__ import annotations

import argparse
import random
import time

from app.routing import ru_text
from app.tickets.search_text import search_document
from bench.seed import CATEGORY_WEIGHTS
from bench.texts import STREETS, appeal_text


def _texts(n: int) -> list[tuple[str, str]]:
    rng = random.Random(18)
    streets = [s for names in STREETS.values() for s in names]
    out = []
    for _ in range(n):
        street = rng.choice(streets)
        category = rng.choice(list(CATEGORY_WEIGHTS))
        address = f"г. Спасск-Дальний, ул. {street}, д. {rng.randint(1, 120)}"
        out.append((appeal_text(category, street, rng), address))
    return out


def _run(texts: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for text, address in texts:
        search_document(text, address)
        ru_text.lemma_set(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=10_000)
    n = parser.parse_args().texts
    texts = _texts(n)
    words = sum(len(ru_text.words(f"{t} {a}")) for t, a in texts)
    start = time.perf_counter()
    ru_text.lemma("яма")  # builds the analyser
    build = time.perf_counter() - start
    ru_text.lemma.cache_clear()
    ru_text.lemma_set.cache_clear()
    cold = _run(texts)
    distinct = ru_text.lemma.cache_info().currsize
    ru_text.lemma_set.cache_clear()  # the per-text cache would make «warm» free
    warm = _run(texts)
    start = time.perf_counter()
    for text, address in texts:
        for w in ru_text.words(f"{text} {address}"):
            ru_text.lemma.__wrapped__(w)
    uncached = time.perf_counter() - start
    print(f"{n} texts, {words} words ({words / n:.1f} a text), {distinct} distinct")
    print(f"analyser build: {build * 1000:.0f} ms")
    for name, seconds in (("cold", cold), ("warm", warm), ("uncached", uncached)):
        rate = f"{seconds / n * 1e6:.0f} µs a text, {words / seconds:,.0f} words/s"
        print(f"{name:9}: {seconds:.2f} s, {rate}")


if __name__ == "__main__":
    main()
