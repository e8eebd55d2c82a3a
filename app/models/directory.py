"""The city's directory: departments, the normalised taxonomy, source mappings, districts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class DepartmentBase(SQLModel):
    code: str = Field(sa_type=String(64), primary_key=True, description="Stable code, e.g. `zhkh`")
    name: str = Field(sa_type=String(300))
    is_triage: bool = Field(default=False, description="Receives what routing cannot place")
    webhook_url: str | None = Field(default=None, sa_type=String(500))


class Department(DepartmentBase, table=True):
    __tablename__ = "departments"
    active: bool = True
    updated_at: datetime = ts_field(default_now=True)


class DepartmentPublic(DepartmentBase):
    active: bool


class CategoryBase(SQLModel):
    code: str = Field(sa_type=String(64), primary_key=True)
    name: str = Field(sa_type=String(300))
    parent_code: str | None = Field(default=None, sa_type=String(64), foreign_key="categories.code")
    department_code: str | None = Field(
        default=None,
        sa_type=String(64),
        foreign_key="departments.code",
        description="Default department for this category",
    )
    is_fallback: bool = Field(default=False, description="Where unknown source categories land")


class Category(CategoryBase, table=True):
    __tablename__ = "categories"
    active: bool = True
    updated_at: datetime = ts_field(default_now=True)


class CategoryPublic(CategoryBase):
    active: bool


class CategoryMapping(SQLModel, table=True):
    """A source's own category name mapped onto the normalised taxonomy."""

    __tablename__ = "category_mappings"
    __table_args__ = (UniqueConstraint("source", "source_name", name="uq_category_mapping"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_type=String(32))
    source_name: str = Field(sa_type=String(300), description="Lower-cased source category name")
    category_code: str = Field(sa_type=String(64), foreign_key="categories.code")


class District(SQLModel, table=True):
    __tablename__ = "districts"
    code: str = Field(sa_type=String(64), primary_key=True)
    name: str = Field(sa_type=String(300))
    polygon: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    streets: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    updated_at: datetime = ts_field(default_now=True)


class DistrictPublic(SQLModel):
    code: str
    name: str
