"""City configuration as code: a YAML file applied idempotently to the directory tables."""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import ValidationFailed
from app.models.common import Source, utcnow
from app.models.directory import Category, CategoryMapping, Department, District


class DepartmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    triage: bool = False
    webhook_url: str | None = None

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """Blank: no webhook. Else an http(s) URL with a host, or notices could only fail."""
        if value is None or not value.strip():
            return None
        if not _http_url_ok(value.strip()):
            raise ValueError(f"webhook_url must be an http(s) URL with a host, not {value!r}")
        return value.strip()


def _http_url_ok(url: str) -> bool:
    # urlsplit drops tabs and newlines silently; the sender would refuse the URL
    if any(c.isspace() or not c.isprintable() for c in url):
        return False
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # out of range, or not a number
        return False
    return parts.scheme in ("http", "https") and _host_ok(parts.hostname) and port_ok


def _host_ok(host: str | None) -> bool:
    """A DNS name (letters of any script, digits, hyphens inside its labels: «мэрия.рф» too)
    or an IP address."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(
        label
        and len(label) <= 63
        and label[0] != "-"
        and label[-1] != "-"
        and all(c.isalnum() or c == "-" for c in label)
        for label in labels
    )


class CategorySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    department: str | None = None
    parent: str | None = None
    fallback: bool = False
    mappings: dict[Source, list[str]] = Field(default_factory=dict)
    # The default ССТУ.РФ question of its appeals (app.sstu.classifier applies it).
    sstu_question: str | None = Field(default=None, pattern=r"^\d{4}\.\d{4}\.\d{4}\.\d{4}$")


class DistrictSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    polygon: dict[str, Any] | None = None
    streets: list[str] = Field(default_factory=list)


class CityConfig(BaseModel):
    # The other sections (routing rules, SLA policies) are read by their owners: city_setup.
    model_config = ConfigDict(extra="allow")
    city: dict[str, Any] = Field(default_factory=dict)
    departments: list[DepartmentSpec]
    categories: list[CategorySpec]
    districts: list[DistrictSpec] = Field(default_factory=list)
    # Where the file was read from: sections may name other files relative to it.
    base_dir: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> CityConfig:
        dept_codes = {d.code for d in self.departments}
        cat_codes = {c.code for c in self.categories}
        if sum(d.triage for d in self.departments) != 1:
            raise ValueError("exactly one department must have triage: true")
        if sum(c.fallback for c in self.categories) != 1:
            raise ValueError("exactly one category must have fallback: true")
        for c in self.categories:
            if c.department and c.department not in dept_codes:
                raise ValueError(f"category {c.code}: unknown department {c.department}")
            if c.parent and c.parent not in cat_codes:
                raise ValueError(f"category {c.code}: unknown parent {c.parent}")
        seen: Counter[tuple[str, str]] = Counter(
            (src, name.strip().lower())
            for c in self.categories
            for src, names in c.mappings.items()
            for name in names
        )
        dupes = [f"{s}:{n}" for (s, n), k in seen.items() if k > 1]
        if dupes:
            raise ValueError("a source category is mapped twice: " + ", ".join(dupes))
        return self


def read_city_config(path: Path) -> CityConfig:
    """Parse and validate the YAML file (a 422-style error names what is wrong)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        config = CityConfig.model_validate(raw)
        config.base_dir = path.parent
        return config
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValidationFailed(f"{path}: {exc}") from exc


def _upsert(
    session: AsyncSession, existing: SQLModel | None, new: SQLModel, counts: Counter[str]
) -> None:
    if existing is None:
        session.add(new)
        counts["created"] += 1
        return
    changed = False
    for name, value in new.model_dump(exclude={"updated_at"}).items():
        if getattr(existing, name) != value:
            setattr(existing, name, value)
            changed = True
    if changed:
        if hasattr(existing, "updated_at"):
            existing.updated_at = utcnow()
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1


async def apply_directory(session: AsyncSession, config: CityConfig) -> dict[str, int]:
    """Make the directory tables equal to the file; re-running it changes nothing.

    The other sections are applied by their owners (``city_setup.apply_city_config``)."""
    counts: Counter[str] = Counter()
    await _apply_departments(session, config.departments, counts)
    await _apply_categories(session, config.categories, counts)
    await _apply_mappings(session, config.categories, counts)
    await _apply_districts(session, config.districts, counts)
    await session.flush()
    return dict(counts)


async def _apply_departments(
    session: AsyncSession, specs: list[DepartmentSpec], counts: Counter[str]
) -> None:
    """Upsert the file's departments; one no longer in the file is deactivated."""
    depts = {d.code: d for d in (await session.exec(select(Department))).all()}
    for d in specs:
        _upsert(
            session,
            depts.get(d.code),
            Department(
                code=d.code,
                name=d.name,
                is_triage=d.triage,
                webhook_url=d.webhook_url,
                active=True,
            ),
            counts,
        )
    in_file = {d.code for d in specs}
    for code, dept in depts.items():
        if code not in in_file and dept.active:
            dept.active, dept.is_triage = False, False
            counts["deactivated"] += 1
    await session.flush()


async def _apply_categories(
    session: AsyncSession, specs: list[CategorySpec], counts: Counter[str]
) -> None:
    """Upsert the file's categories; one no longer in the file is deactivated."""
    cats = {c.code: c for c in (await session.exec(select(Category))).all()}
    # Parents first so the self-reference is satisfied within one flush.
    ordered = sorted(specs, key=lambda c: c.parent is not None)
    for c in ordered:
        _upsert(
            session,
            cats.get(c.code),
            Category(
                code=c.code,
                name=c.name,
                parent_code=c.parent,
                department_code=c.department,
                is_fallback=c.fallback,
                active=True,
            ),
            counts,
        )
        await session.flush()
    in_file = {c.code for c in specs}
    for code, cat in cats.items():
        if code not in in_file and cat.active:
            cat.active, cat.is_fallback = False, False
            counts["deactivated"] += 1


async def _apply_mappings(
    session: AsyncSession, specs: list[CategorySpec], counts: Counter[str]
) -> None:
    """Make the source-name → category mappings exactly those the categories list."""
    wanted = {
        (src.value, name.strip().lower()): c.code
        for c in specs
        for src, names in c.mappings.items()
        for name in names
    }
    mappings = {
        (m.source, m.source_name): m for m in (await session.exec(select(CategoryMapping))).all()
    }
    for key, mapping in mappings.items():
        if key not in wanted:
            await session.delete(mapping)
            counts["mappings_removed"] += 1
    for (src, name), code in wanted.items():
        current = mappings.get((src, name))
        if current is None:
            session.add(CategoryMapping(source=src, source_name=name, category_code=code))
            counts["mappings_created"] += 1
        elif current.category_code != code:
            current.category_code = code
            counts["mappings_updated"] += 1


async def _apply_districts(
    session: AsyncSession, specs: list[DistrictSpec], counts: Counter[str]
) -> None:
    """Upsert the file's districts (districts are never deactivated)."""
    districts = {d.code: d for d in (await session.exec(select(District))).all()}
    for s in specs:
        _upsert(
            session,
            districts.get(s.code),
            District(
                code=s.code,
                name=s.name,
                polygon=s.polygon,
                streets=s.streets,
            ),
            counts,
        )
