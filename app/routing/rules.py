"""Routing rules evaluated as pure functions of (ticket facts, ordered rules): no database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from app.routing.keywords import keyword_lemmas
from app.routing.precedence import KeywordHit, Standing, TextView, find_hits

if TYPE_CHECKING:
    from app.models.routing import RoutingRule


@dataclass(frozen=True)
class RuleSpec:
    """One rule: every non-empty condition must hold (any value within a list)."""

    name: str
    department: str
    id: int | None = None
    sources: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()  # a parent category also covers its children
    districts: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()  # any of them; a phrase needs all its words


@dataclass
class TicketFacts:
    """What routing looks at, taken from a draft, a stored ticket or an explain payload."""

    source: str
    kind: str
    channel: str
    category_path: tuple[str, ...]  # the category, then its parent, …
    text: str
    district: str | None = None
    priority: str = "normal"

    @cached_property
    def text_view(self) -> TextView:
        return TextView(self.text)

    @property
    def text_lemmas(self) -> frozenset[str]:
        return self.text_view.lemma_set


@dataclass(frozen=True)
class RuleCheck:
    rule: RuleSpec
    passed: tuple[str, ...]
    failed: tuple[str, ...]
    details: tuple[str, ...]
    hits: tuple[KeywordHit, ...] = ()  # the rule's keywords found in the text

    @property
    def matched(self) -> bool:
        return not self.failed

    @cached_property
    def standing(self) -> Standing:
        return Standing.of(self.hits)

    def reason(self) -> str:
        return "; ".join(self.details) if self.details else "the rule has no conditions"


def keyword_hit(keyword: str, text_lemmas: frozenset[str]) -> bool:
    """A keyword or phrase matches when every word of it occurs in the text in any form:
    «батарея» matches «холодные батареи», «горячая вода» matches «нет горячей воды»."""
    wanted = keyword_lemmas(keyword)
    return bool(wanted) and wanted <= text_lemmas


def check_rule(rule: RuleSpec, facts: TicketFacts, *, fuzzy: bool = False) -> RuleCheck:
    """Which of the rule's conditions hold for the ticket, and why (with ``fuzzy``, a keyword
    may also stand misspelt by one letter in the text)."""
    hits = find_hits(rule.keywords, facts.text_view, fuzzy=fuzzy) if rule.keywords else ()
    return _check(rule, facts, _holds(rule, facts), hits)


def _holds(rule: RuleSpec, facts: TicketFacts) -> list[tuple[str, bool]]:
    """Each condition the rule sets other than keywords, in order, and whether it holds."""
    held: list[tuple[str, bool]] = []
    if rule.sources:
        held.append(("source", facts.source in rule.sources))
    if rule.kinds:
        held.append(("kind", facts.kind in rule.kinds))
    if rule.channels:
        held.append(("channel", facts.channel in rule.channels))
    if rule.categories:
        held.append(("category", any(c in rule.categories for c in facts.category_path)))
    if rule.districts:
        held.append(("district", facts.district in rule.districts))
    if rule.priorities:
        held.append(("priority", facts.priority in rule.priorities))
    return held


def _detail(name: str, ok: bool, rule: RuleSpec, facts: TicketFacts) -> str:
    """Why a condition (not keywords) holds or fails, as the reason names it."""
    if name == "category":
        path = facts.category_path
        shown = path[0] if path else None
        if not ok:
            return f"category {shown} not in rule"
        hit = next(c for c in path if c in rule.categories)
        return f"category {shown}" + (f" (under {hit})" if hit != shown else "")
    value = getattr(facts, name)
    return f"{name} is {value}" if ok else f"{name} {value} not in rule"


def _check(
    rule: RuleSpec,
    facts: TicketFacts,
    held: Sequence[tuple[str, bool]],
    hits: tuple[KeywordHit, ...],
) -> RuleCheck:
    passed = [name for name, ok in held if ok]
    failed = [name for name, ok in held if not ok]
    details = [_detail(name, ok, rule, facts) for name, ok in held]
    if rule.keywords:
        if hits:
            passed.append("keywords")
            details.append("text mentions " + ", ".join(h.describe() for h in hits))
        else:
            failed.append("keywords")
            details.append("no keyword in the text")
    return RuleCheck(rule, tuple(passed), tuple(failed), tuple(details), hits)


@dataclass
class Evaluation:
    match: RuleCheck | None
    near_misses: list[RuleCheck] = field(default_factory=list)
    outranked: list[RuleCheck] = field(default_factory=list)  # matched too, but said less

    def reason(self) -> str:
        """Why the match won: its conditions, and why it beat the other matching rules."""
        if self.match is None:
            return "no rule matched"
        text = f"rule «{self.match.rule.name}»: {self.match.reason()}"
        mine = self.match.standing
        for other in self.outranked[:3]:
            why = mine.why_better_than(other.standing)
            text += f"; preferred to «{other.rule.name}» ({why})"
        return text


def evaluate(
    rules: Sequence[RuleSpec], facts: TicketFacts, *, near_miss_limit: int = 5
) -> Evaluation:
    """The rule that says most what the text means, and rules that failed on one condition.

    Rules are read in order. A matching rule without keywords (a rule on source, category,
    district …) ends the reading: it wins when it is the first match. Rules matched by their
    keywords compete (``Standing``): one naming the problem beats one whose keywords only name
    a place («возле школы»), a decisive keyword beats ordinary ones, then the one whose
    keywords cover more words of the text, then the one whose keyword comes first in the
    text, then order. When no rule names the problem with words spelt right, the text is read
    again forgiving one slip in a long keyword word («светафор»)."""
    exact = _evaluate(rules, facts, near_miss_limit, fuzzy=False)
    if _names_problem(exact) or not facts.text_view.unknown:
        return exact
    if not any(r.keywords and all(ok for _, ok in _holds(r, facts)) for r in rules):
        return exact  # no rule could match by a keyword read forgivingly: the same result
    forgiving = _evaluate(rules, facts, near_miss_limit, fuzzy=True)
    return forgiving if _names_problem(forgiving) else exact


def _names_problem(result: Evaluation) -> bool:
    """A match by a rule without keywords, or by keywords that name the problem."""
    match = result.match
    return match is not None and (not match.hits or match.standing.names_problem)


def _evaluate(
    rules: Sequence[RuleSpec], facts: TicketFacts, near_miss_limit: int, *, fuzzy: bool
) -> Evaluation:
    near: list[RuleCheck] = []
    matched: list[RuleCheck] = []
    for rule in rules:
        # A rule is read in full only when it may match or be a near miss still reported.
        held = _holds(rule, facts)
        failing = sum(not ok for _, ok in held)
        near_full = 0 <= near_miss_limit <= len(near)  # (a negative limit slices from the end)
        if failing > 1 or (failing and near_full):
            continue
        hits = find_hits(rule.keywords, facts.text_view, fuzzy=fuzzy) if rule.keywords else ()
        if rule.keywords and not hits and (failing or near_full or not held):
            continue  # a second failure, or its one failure with nothing passed, or no room
        check = _check(rule, facts, held, hits)
        if check.matched and not check.hits:
            if not matched:
                return Evaluation(check, near[:near_miss_limit])
            break
        if check.matched:
            matched.append(check)
        elif len(check.failed) == 1 and check.passed:
            near.append(check)
    if not matched:
        return Evaluation(None, near[:near_miss_limit])
    ranked = sorted(matched, key=lambda c: c.standing.key())  # stable: order breaks ties
    return Evaluation(ranked[0], near[:near_miss_limit], ranked[1:])


@dataclass(frozen=True)
class Suggestion:
    """A learned guess: the department and the model's probability for it."""

    department: str
    confidence: float


@dataclass(frozen=True)
class RoutingDecision:
    department_code: str
    method: str  # explicit | rule | category | model | triage
    reason: str
    is_triage: bool
    rule_id: int | None = None
    rule_name: str | None = None
    district_code: str | None = None
    confidence: float | None = None
    near_misses: tuple[RuleCheck, ...] = ()
    keywords: tuple[str, ...] = ()  # the winning rule's keywords found in the text

    def event_data(self) -> dict[str, object]:
        """What the ``routed`` timeline event records."""
        data: dict[str, object] = {
            "department": self.department_code,
            "method": self.method,
            "reason": self.reason,
        }
        if self.rule_id is not None or self.rule_name:
            data["rule"] = {"id": self.rule_id, "name": self.rule_name}
        if self.keywords:
            data["keywords"] = list(self.keywords)
        if self.confidence is not None:
            data["confidence"] = round(self.confidence, 4)
        if self.district_code:
            data["district"] = self.district_code
        return data


def decide(
    facts: TicketFacts,
    rules: Sequence[RuleSpec],
    *,
    category_department: str | None,
    triage_department: str,
    suggest: Callable[[TicketFacts], Suggestion | None] | None = None,
    min_confidence: float = 1.0,
    active_departments: frozenset[str] | None = None,
) -> RoutingDecision:
    """Rules first (``evaluate``: the one that says most what the text means), then the
    category's own department, then a learned suggestion above ``min_confidence``, else
    triage. The model is asked only when nothing configured applies: it never overrides a rule."""

    def usable(code: str | None) -> bool:
        return bool(code) and (active_departments is None or code in active_departments)

    result = evaluate(rules, facts)
    near = tuple(result.near_misses)
    district = facts.district
    if result.match is not None and usable(result.match.rule.department):
        rule = result.match.rule
        return RoutingDecision(
            rule.department,
            "rule",
            result.reason(),
            rule.department == triage_department,
            rule_id=rule.id,
            rule_name=rule.name,
            district_code=district,
            near_misses=near,
            keywords=tuple(h.keyword for h in result.match.hits),
        )
    category = facts.category_path[0] if facts.category_path else "?"
    if usable(category_department):
        assert category_department is not None
        return RoutingDecision(
            category_department,
            "category",
            f"no rule matched; category {category} belongs here",
            category_department == triage_department,
            district_code=district,
            near_misses=near,
        )
    guess = suggest(facts) if suggest is not None else None
    if guess is not None and guess.confidence >= min_confidence and usable(guess.department):
        return RoutingDecision(
            guess.department,
            "model",
            f"no rule matched; the model suggests {guess.department} "
            f"with confidence {guess.confidence:.2f} (threshold {min_confidence:.2f})",
            guess.department == triage_department,
            district_code=district,
            confidence=guess.confidence,
            near_misses=near,
        )
    why = "no rule matched and the category has no department"
    if guess is not None:
        why += f"; the model's best guess {guess.department} ({guess.confidence:.2f}) is below"
        why += f" {min_confidence:.2f}"
    return RoutingDecision(
        triage_department,
        "triage",
        why,
        True,
        district_code=district,
        confidence=guess.confidence if guess else None,
        near_misses=near,
    )


def rule_spec(row: RoutingRule) -> RuleSpec:
    """The pure form of a stored rule."""
    return RuleSpec(
        id=row.id,
        name=row.name,
        department=row.department_code,
        sources=frozenset(row.sources),
        kinds=frozenset(row.kinds),
        channels=frozenset(row.channels),
        categories=frozenset(row.categories),
        districts=frozenset(row.districts),
        priorities=frozenset(row.priorities),
        keywords=tuple(row.keywords),
    )
