"""How well a city's rules route by text alone: a labelled corpus routed against a city config.

No database: the rules, the fallback category and the triage department come straight from the
YAML file, and each text goes through the same pure ``decide`` as a ticket recorded by phone
without a category (no learned suggestion: the figure is the rules' own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.directory.city_config import CityConfig
from app.errors import ValidationFailed
from app.models.routing import RoutingRuleIn
from app.routing.rules import RoutingDecision, RuleSpec, TicketFacts, decide

DEFAULT_CORPUS = Path("tests/fixtures/routing_corpus.yaml")
DEFAULT_CITY = Path("config/city.example.yaml")


class LabelledText(BaseModel):
    """One appeal as a person wrote or said it, and the department that must act on it."""

    model_config = ConfigDict(extra="ignore")
    text: str = Field(min_length=1)
    department: str = Field(min_length=1)


_CORPUS = TypeAdapter(list[LabelledText])
_RULES = TypeAdapter(list[RoutingRuleIn])


def read_corpus(path: Path) -> list[LabelledText]:
    """The labelled texts of a YAML file: a list of ``{text, department}`` (or such a list
    under one top-level key)."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and len(raw) == 1:
            raw = next(iter(raw.values()))
        return _CORPUS.validate_python(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ValidationFailed(f"{path}: {exc}") from exc


def config_rules(config: CityConfig) -> tuple[RuleSpec, ...]:
    """The enabled ``routing_rules:`` of a city config in evaluation order, as
    ``load-config`` would store them (positions 10, 20, … in file order unless given)."""
    try:
        specs = _RULES.validate_python((config.model_extra or {}).get("routing_rules") or [])
    except ValidationError as exc:
        raise ValidationFailed(f"routing_rules: {exc}") from exc
    placed = sorted(
        ((s.position or (i + 1) * 10, i, s) for i, s in enumerate(specs) if s.enabled),
        key=lambda t: (t[0], t[1]),
    )
    return tuple(
        RuleSpec(
            id=index + 1,
            name=s.name.strip(),
            department=s.department,
            sources=frozenset(v.value for v in s.sources),
            kinds=frozenset(v.value for v in s.kinds),
            channels=frozenset(v.value for v in s.channels),
            categories=frozenset(s.categories),
            districts=frozenset(s.districts),
            priorities=frozenset(v.value for v in s.priorities),
            keywords=tuple(k.strip() for k in s.keywords),
        )
        for _, index, s in placed
    )


@dataclass(frozen=True)
class TextRouter:
    """A city's routing as the pure core sees it, for tickets that carry nothing but text."""

    rules: tuple[RuleSpec, ...]
    category_path: tuple[str, ...]  # the fallback category, then its parents
    category_department: str | None
    triage_department: str
    departments: frozenset[str]

    @classmethod
    def from_config(cls, config: CityConfig) -> TextRouter:
        categories = {c.code: c for c in config.categories}
        fallback = next(c for c in config.categories if c.fallback)
        path = [fallback.code]
        while (parent := categories[path[-1]].parent) is not None and parent not in path:
            path.append(parent)
        return cls(
            rules=config_rules(config),
            category_path=tuple(path),
            category_department=fallback.department,
            triage_department=next(d.code for d in config.departments if d.triage),
            departments=frozenset(d.code for d in config.departments),
        )

    def route(self, text: str) -> RoutingDecision:
        """Where a phone call with this text and no category goes."""
        facts = TicketFacts(
            source="api",
            kind="direct_request",
            channel="phone",
            category_path=self.category_path,
            text=text,
        )
        return decide(
            facts,
            self.rules,
            category_department=self.category_department,
            triage_department=self.triage_department,
            active_departments=self.departments,
        )


@dataclass(frozen=True)
class Outcome:
    number: int  # 1-based position in the corpus
    item: LabelledText
    decision: RoutingDecision
    held_out: bool

    @property
    def right(self) -> bool:
        return self.decision.department_code == self.item.department


@dataclass
class Tally:
    """Right answers out of a number of texts."""

    right: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.share:.3f} ({self.right}/{self.total})"


@dataclass(frozen=True)
class DepartmentFigures:
    code: str
    texts: int  # labelled with this department
    routed: int  # sent to it
    right: int

    @property
    def precision(self) -> float:
        return self.right / self.routed if self.routed else 0.0

    @property
    def recall(self) -> float:
        return self.right / self.texts if self.texts else 0.0


@dataclass
class CorpusReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def tally(self, *, held_out: bool | None = None) -> Tally:
        """All texts, or only the held-out ones (True), or only the others (False)."""
        chosen = [o for o in self.outcomes if held_out is None or o.held_out == held_out]
        return Tally(sum(o.right for o in chosen), len(chosen))

    @property
    def accuracy(self) -> float:
        return self.tally().share

    def departments(self) -> list[DepartmentFigures]:
        codes = {o.item.department for o in self.outcomes}
        codes |= {o.decision.department_code for o in self.outcomes}
        return [
            DepartmentFigures(
                code,
                sum(o.item.department == code for o in self.outcomes),
                sum(o.decision.department_code == code for o in self.outcomes),
                sum(o.right and o.item.department == code for o in self.outcomes),
            )
            for code in sorted(codes)
        ]

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.right]


def evaluate_corpus(
    router: TextRouter, corpus: Sequence[LabelledText], *, hold_out_every: int = 5
) -> CorpusReport:
    """Route every text; every ``hold_out_every``-th one (5th, 10th, …) is marked held out, the
    part to leave unseen while tuning the rules on the others (0: none)."""
    unknown = sorted({item.department for item in corpus} - router.departments)
    if unknown:
        raise ValidationFailed(f"the corpus names departments the city has not: {unknown}")
    report = CorpusReport()
    for number, item in enumerate(corpus, start=1):
        held = hold_out_every > 0 and number % hold_out_every == 0
        report.outcomes.append(Outcome(number, item, router.route(item.text), held))
    return report
