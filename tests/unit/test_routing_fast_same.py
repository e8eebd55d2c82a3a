"""The indexed keyword matching decides and explains exactly as reading every keyword of every
rule against the text did: the same match, reason, near misses and outranked rules for the
labelled corpus, the everyday texts, the simulator's texts and misspelt copies of them.

The reference below is the straightforward reading (kept here only): each keyword's lemmas
looked up in the text word by word, a missing long word searched among the unknown words,
every rule checked in full, then the forgiving pass whenever nothing names the problem."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.directory.city_config import read_city_config
from app.routing import rules as rules_module
from app.routing.evaluation import DEFAULT_CITY, DEFAULT_CORPUS, TextRouter, read_corpus
from app.routing.keywords import DECISIVE, keyword_lemmas
from app.routing.precedence import (
    _MAX_MODIFIERS,
    _RUSSIAN_WORD,
    PLACE_CUES,
    KeywordHit,
    TextView,
    _modifier,
    find_hit,
)
from app.routing.ru_text import is_known, lemma, words
from app.routing.rules import (
    Evaluation,
    RuleCheck,
    RuleSpec,
    TicketFacts,
    check_rule,
    decide,
    evaluate,
)
from app.routing.spelling import MIN_LENGTH, slip_of
from app.tools.simulators.routing_corpus import generate

ROOT = Path(__file__).resolve().parents[2]

EVERYDAY = [
    "светафор у детского сада моргает желтым уже неделю",
    "отопленя нет в квартире холодина",
    "Прорвало трубу во дворе, вода хлещет на дорогу",
    "Участковый не реагирует на вызовы, соседи торгуют наркотиками",
    "Соседи торгуют наркотиками в подъезде",
    "по стене нашего дома пошла трещина",
    "Низкое давление воды на верхних этажах",
    "Давление воды слабое",
    "Яма на дороге возле школы",
    "У нашей школы не горит фонарь",
    "Возле школы стоит другая школа, в ней холодно",
    "инвалид-колясочник не может выехать, у подъезда нет пандуса",
    "",
]


class SlowText:
    """A text read the plain way: every list scanned anew for every keyword."""

    def __init__(self, text: str) -> None:
        self.words = tuple(words(text))
        self.lemmas = tuple(lemma(w) for w in self.words)
        parts = (lemma(p) for w in self.words if "-" in w for p in w.split("-") if p)
        self.lemma_set = frozenset(self.lemmas).union(parts)
        self.unknown = tuple(
            i
            for i, w in enumerate(self.words)
            if len(w) >= MIN_LENGTH - 1 and _RUSSIAN_WORD.match(w) and not is_known(w)
        )
        self.places: dict[int, int] = {}
        ws = self.words
        for start in range(len(ws)):
            for cue in PLACE_CUES:
                end = start + len(cue)
                if ws[start:end] != cue:
                    continue
                for i in range(end, min(end + _MAX_MODIFIERS + 1, len(ws))):
                    self.places.setdefault(i, start)
                    if not _modifier(ws[i]):
                        break


def slow_hit(keyword: str, text: SlowText, fuzzy: bool) -> KeywordHit | None:
    wanted = keyword_lemmas(keyword)
    if not wanted:
        return None
    spelt: dict[str, int] = {}
    missing = wanted - text.lemma_set
    if missing:
        if not fuzzy:
            return None
        for word in missing:
            if len(word) < MIN_LENGTH:
                return None
            at = next((i for i in text.unknown if slip_of(text.words[i], word)), None)
            if at is None:
                return None
            spelt[word] = at
    at_all = sorted([i for i, lem in enumerate(text.lemmas) if lem in wanted] + [*spelt.values()])
    written = keyword.strip().removeprefix(DECISIVE).strip()
    place = None
    if at_all and all(i in text.places for i in at_all):
        first = min(at_all)
        last = max(i for i in at_all if text.places[i] == text.places[first])
        place = " ".join(text.words[text.places[first] : last + 1])
    return KeywordHit(
        written,
        wanted,
        place,
        first=at_all[0] if at_all else 0,
        decisive=keyword.strip().startswith(DECISIVE),
        spelt=tuple(text.words[i] for i in sorted(spelt.values())),
    )


def slow_check(rule: RuleSpec, facts: TicketFacts, text: SlowText, fuzzy: bool) -> RuleCheck:
    passed: list[str] = []
    failed: list[str] = []
    details: list[str] = []

    def verdict(name: str, ok: bool, ok_text: str, fail_text: str) -> None:
        (passed if ok else failed).append(name)
        details.append(ok_text if ok else fail_text)

    for name in ("source", "kind", "channel"):
        allowed, value = getattr(rule, name + "s"), getattr(facts, name)
        if allowed:
            verdict(name, value in allowed, f"{name} is {value}", f"{name} {value} not in rule")
    if rule.categories:
        hit = next((c for c in facts.category_path if c in rule.categories), None)
        shown = facts.category_path[0] if facts.category_path else None
        verdict(
            "category",
            hit is not None,
            f"category {shown}" + (f" (under {hit})" if hit != shown else ""),
            f"category {shown} not in rule",
        )
    for name, allowed in (("district", rule.districts), ("priority", rule.priorities)):
        value = getattr(facts, name)
        if allowed:
            verdict(name, value in allowed, f"{name} is {value}", f"{name} {value} not in rule")
    found = (slow_hit(k, text, fuzzy) for k in rule.keywords)
    hits = tuple(h for h in found if h is not None)
    if rule.keywords:
        verdict(
            "keywords",
            bool(hits),
            "text mentions " + ", ".join(h.describe() for h in hits),
            "no keyword in the text",
        )
    return RuleCheck(rule, tuple(passed), tuple(failed), tuple(details), hits)


def slow_pass(
    rules: Sequence[RuleSpec], facts: TicketFacts, text: SlowText, limit: int, fuzzy: bool
) -> Evaluation:
    near: list[RuleCheck] = []
    matched: list[RuleCheck] = []
    for rule in rules:
        check = slow_check(rule, facts, text, fuzzy)
        if check.matched and not check.hits:
            if not matched:
                return Evaluation(check, near[:limit])
            break
        if check.matched:
            matched.append(check)
        elif len(check.failed) == 1 and check.passed:
            near.append(check)
    if not matched:
        return Evaluation(None, near[:limit])
    ranked = sorted(matched, key=lambda c: c.standing.key())
    return Evaluation(ranked[0], near[:limit], ranked[1:])


def slow_evaluate(
    rules: Sequence[RuleSpec], facts: TicketFacts, *, near_miss_limit: int = 5
) -> Evaluation:
    def names_problem(result: Evaluation) -> bool:
        match = result.match
        return match is not None and (not match.hits or match.standing.names_problem)

    text = SlowText(facts.text)
    exact = slow_pass(rules, facts, text, near_miss_limit, fuzzy=False)
    if names_problem(exact) or not text.unknown:
        return exact
    forgiving = slow_pass(rules, facts, text, near_miss_limit, fuzzy=True)
    return forgiving if names_problem(forgiving) else exact


def misspelt(text: str, rng: random.Random) -> str:
    """The text with one letter of one long word dropped, swapped, changed or doubled."""
    ws = text.split()
    long_ = [i for i, w in enumerate(ws) if len(w) >= 6]
    if not long_:
        return text
    i = rng.choice(long_)
    w = ws[i]
    k = rng.randrange(1, len(w) - 2)
    ws[i] = rng.choice(
        [
            w[:k] + w[k + 1 :],
            w[:k] + w[k + 1] + w[k] + w[k + 2 :],
            w[:k] + rng.choice("аеиоуя") + w[k + 1 :],
            w[:k] + w[k] + w[k:],
        ]
    )
    return " ".join(ws)


@pytest.fixture(scope="module")
def router() -> TextRouter:
    return TextRouter.from_config(read_city_config(ROOT / DEFAULT_CITY))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = [item.text for item in read_corpus(ROOT / DEFAULT_CORPUS)]
    simulated = [t.text for t in generate(incidents=30, seed=3)]
    rng = random.Random(5)
    typos = [misspelt(t, rng) for t in corpus + EVERYDAY]
    return list(dict.fromkeys(corpus + EVERYDAY + simulated + typos))


def variants(router: TextRouter, text: str) -> list[TicketFacts]:
    """A phone call without category, a categorised Госуслуги message in a district, and a
    chat-bot message (a rule on source alone)."""
    return [
        TicketFacts("api", "direct_request", "phone", router.category_path, text),
        TicketFacts(
            "feedback_platform",
            "pos_message",
            "gosuslugi",
            ("snow", "roads"),
            text,
            district="center",
            priority="high",
        ),
        TicketFacts("chatbot", "direct_request", "other", router.category_path, text),
    ]


def test_the_texts_exercise_every_path(router: TextRouter, texts: list[str]) -> None:
    results = [evaluate(router.rules, f) for t in texts for f in variants(router, t)]
    reasons = [r.reason() for r in results]
    assert len(texts) > 450
    assert any("(written «" in r for r in reasons)  # forgiven misspellings
    assert any("only as a place" in r for r in reasons)
    assert any("preferred to" in r for r in reasons)
    assert any(r.match is None and r.near_misses for r in results)
    assert any(len(r.near_misses) == 5 for r in results)  # the limit reached


def test_decisions_and_their_explanations_are_those_of_the_plain_reading(
    router: TextRouter, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def route(facts: TicketFacts) -> object:
        return decide(
            facts,
            router.rules,
            category_department="roads",
            triage_department=router.triage_department,
            active_departments=router.departments,
        )

    cases = [f for t in texts for f in variants(router, t)]
    slow = {id(f): slow_evaluate(router.rules, f) for f in cases}
    for facts in cases:
        fast = evaluate(router.rules, facts)
        assert fast == slow[id(facts)], facts.text
        assert fast.reason() == slow[id(facts)].reason(), facts.text
    fast_decisions = [route(f) for f in cases]
    # ``decide`` again, on the plain reading's evaluations
    monkeypatch.setattr(rules_module, "evaluate", lambda _rules, facts: slow[id(facts)])
    assert [route(f) for f in cases] == fast_decisions


def test_every_rule_checks_as_the_plain_reading(router: TextRouter, texts: list[str]) -> None:
    for text in texts[::3]:
        facts = variants(router, text)[0]
        plain = SlowText(text)
        for fuzzy in (False, True):
            for rule in router.rules:
                assert check_rule(rule, facts, fuzzy=fuzzy) == slow_check(
                    rule, facts, plain, fuzzy
                ), (text, rule.name, fuzzy)
                for keyword in rule.keywords[:3]:
                    assert find_hit(keyword, TextView(text), fuzzy=fuzzy) == slow_hit(
                        keyword, plain, fuzzy
                    )
