"""The thematic classifier and the city's ССТУ settings, loaded from files like every other
piece of configuration: ``appeals load-config config/sstu_classifier.yaml`` loads an edition
of the classifier, and the city file's ``sstu:`` section (which names that file) and its
categories' ``sstu_question`` are applied with the rest of the city."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.directory.city_config import CityConfig
from app.errors import ValidationFailed
from app.models.common import utcnow
from app.models.sstu import (
    CODE_PATTERN,
    SstuCategoryQuestion,
    SstuClassifierEntry,
    SstuProfile,
)
from app.sstu.rules import level_of, section_of


class EntrySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=2000)
    assumption: str | None = Field(default=None, max_length=2000)


class ClassifierSpec(BaseModel):
    """One edition: its name and entries (sections, themes, groups, questions)."""

    model_config = ConfigDict(extra="forbid")
    edition: str = Field(min_length=1, max_length=200)
    entries: list[EntrySpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ClassifierSpec:
        codes = [e.code for e in self.entries]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError("a code is listed twice: " + ", ".join(dupes))
        sections = {c for c in codes if level_of(c) == 1}
        orphans = sorted({section_of(c) for c in codes} - sections)
        if orphans:
            raise ValueError("list the section of every code too: " + ", ".join(orphans))
        return self


class ClassifierFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    classifier: ClassifierSpec


class AddresseeSpec(BaseModel):
    """A body the city transfers appeals to, with its id in ССТУ.РФ."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=500)
    department_id: str = Field(min_length=1, max_length=64)


class SstuSection(BaseModel):
    """The city file's ``sstu:`` section."""

    model_config = ConfigDict(extra="forbid")
    classifier: str | None = Field(default=None, description="The classifier file, relative")
    department_id: str | None = Field(default=None, max_length=64)
    department_ids: dict[str, str] = Field(default_factory=dict)
    addressees: list[AddresseeSpec] = Field(default_factory=list)
    applicant_fields: list[Literal["name", "address", "email"]] = Field(default_factory=list)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{path}: {exc}") from exc


def is_classifier_file(path: Path) -> bool:
    """Whether ``path`` holds a classifier edition (top-level ``classifier:``), not a city."""
    raw = _load_yaml(path)
    return isinstance(raw, dict) and "classifier" in raw and "departments" not in raw


def read_classifier(path: Path) -> ClassifierSpec:
    """Parse and check a classifier file (a 422-style error names what is wrong)."""
    try:
        return ClassifierFile.model_validate(_load_yaml(path)).classifier
    except ValidationError as exc:
        raise ValidationFailed(f"{path}: {exc}") from exc


async def apply_classifier(session: AsyncSession, spec: ClassifierSpec) -> dict[str, int]:
    """Make the stored classifier this edition; entries it no longer lists are retired, not
    deleted (appeals of past months still name them). Re-running changes nothing."""
    counts: Counter[str] = Counter()
    stored = {e.code: e for e in (await session.exec(select(SstuClassifierEntry))).all()}
    for entry in spec.entries:
        fresh = SstuClassifierEntry(
            code=entry.code,
            name=entry.name,
            level=level_of(entry.code),
            assumption=entry.assumption,
            edition=spec.edition,
            retired=False,
        )
        row = stored.get(entry.code)
        if row is None:
            session.add(fresh)
            counts["classifier_created"] += 1
        elif _copy_changed(fresh, row, ("name", "level", "assumption", "edition", "retired")):
            row.updated_at = utcnow()
            counts["classifier_updated"] += 1
    listed = {e.code for e in spec.entries}
    for code, row in stored.items():
        if code not in listed and not row.retired:
            row.retired, row.updated_at = True, utcnow()
            counts["classifier_retired"] += 1
    await session.flush()
    return dict(counts)


async def apply_config_section(session: AsyncSession, config: CityConfig) -> dict[str, int]:
    """The city's ``sstu:`` section (its classifier file first) and its categories' default
    questions; a code the classifier does not list is refused. A configuration not read from
    a file (``base_dir`` unset) names no file: the stored classifier stays as it is."""
    section = _section_of(config)
    counts: Counter[str] = Counter()
    if section.classifier and config.base_dir is not None:
        path = config.base_dir / section.classifier
        counts.update(await apply_classifier(session, read_classifier(path)))
    unknown = sorted(set(section.department_ids) - {d.code for d in config.departments})
    if unknown:
        raise ValidationFailed("sstu.department_ids: unknown departments " + ", ".join(unknown))
    await _apply_profile(session, section, counts)
    await _apply_category_questions(session, config, counts)
    await session.flush()
    return dict(counts)


def _section_of(config: CityConfig) -> SstuSection:
    try:
        return SstuSection.model_validate((config.model_extra or {}).get("sstu") or {})
    except ValidationError as exc:
        raise ValidationFailed(f"sstu: {exc}") from exc


def _copy_changed(source: Any, target: Any, fields: tuple[str, ...]) -> bool:
    """Copy ``fields`` from ``source`` onto ``target``; whether any of them differed."""
    changed = [f for f in fields if getattr(target, f) != getattr(source, f)]
    for f in changed:
        setattr(target, f, getattr(source, f))
    return bool(changed)


async def _apply_profile(session: AsyncSession, section: SstuSection, counts: Counter[str]) -> None:
    fresh = SstuProfile(
        id=1,
        department_id=section.department_id,
        department_ids=dict(section.department_ids),
        addressees=[a.model_dump() for a in section.addressees],
        applicant_fields=list(section.applicant_fields),
    )
    profile = await session.get(SstuProfile, 1)
    if profile is None:
        session.add(fresh)
        counts["sstu_profile_created"] += 1
    elif _copy_changed(
        fresh, profile, ("department_id", "department_ids", "addressees", "applicant_fields")
    ):
        profile.updated_at = utcnow()
        counts["sstu_profile_updated"] += 1


async def _apply_category_questions(
    session: AsyncSession, config: CityConfig, counts: Counter[str]
) -> None:
    wanted = {c.code: c.sstu_question for c in config.categories if c.sstu_question}
    known = {
        e.code
        for e in (
            await session.exec(
                select(SstuClassifierEntry).where(
                    SstuClassifierEntry.level == 4,
                    SstuClassifierEntry.retired == False,  # noqa: E712
                )
            )
        ).all()
    }
    unknown = sorted(f"{cat}: {code}" for cat, code in wanted.items() if code not in known)
    if unknown:
        raise ValidationFailed(
            "categories' sstu_question must be questions of the loaded classifier: "
            + ", ".join(unknown)
        )
    stored = {r.category_code: r for r in (await session.exec(select(SstuCategoryQuestion))).all()}
    for category, row in stored.items():
        if category not in wanted:
            await session.delete(row)
            counts["sstu_defaults_removed"] += 1
    for category, code in wanted.items():
        current = stored.get(category)
        if current is None:
            session.add(SstuCategoryQuestion(category_code=category, question_code=code))
            counts["sstu_defaults_created"] += 1
        elif current.question_code != code:
            current.question_code = code
            counts["sstu_defaults_updated"] += 1
