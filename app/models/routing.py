"""Routing rules, duplicate suggestions, and the API schemas of routing and re-routing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, StrictBool, StrictFloat, StrictInt
from pydantic import Field as PField
from sqlalchemy import BigInteger, Column, Identity, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import Channel, Kind, Priority, RequestBody, Source, ts_field

CODE = r"^[a-z0-9_]{1,64}$"


def _list_column() -> Any:
    return Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))


class RoutingRule(SQLModel, table=True):
    """One ordered rule; empty condition lists mean "any"."""

    __tablename__ = "routing_rules"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200), unique=True)
    position: int = Field(index=True)
    enabled: bool = True
    department_code: str = Field(sa_type=String(64), foreign_key="departments.code")
    sources: list[str] = _list_column()
    kinds: list[str] = _list_column()
    channels: list[str] = _list_column()
    categories: list[str] = _list_column()
    districts: list[str] = _list_column()
    priorities: list[str] = _list_column()
    keywords: list[str] = _list_column()
    description: str | None = Field(default=None, sa_type=Text)
    origin: str = Field(default="api", sa_type=String(16))  # config | api
    created_at: datetime = ts_field(default_now=True)
    updated_at: datetime = ts_field(default_now=True)


class DuplicateSuggestion(SQLModel, table=True):
    """A possible duplicate the operator should look at (score between the thresholds)."""

    __tablename__ = "duplicate_suggestions"
    __table_args__ = (
        UniqueConstraint("ticket_id", "candidate_id", name="uq_duplicate_suggestion"),
        Index("ix_duplicate_suggestions_status", "status", "id"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    ticket_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id")
    candidate_id: int = Field(sa_type=BigInteger, foreign_key="tickets.id", index=True)
    score: float
    reasons: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    status: str = Field(default="open", sa_type=String(16))  # open | merged | dismissed
    created_at: datetime = ts_field(default_now=True)
    decided_at: datetime | None = ts_field()
    decided_by: str | None = Field(default=None, sa_type=String(200))


class RoutingRuleIn(RequestBody):
    """A rule as clients and the city config write it."""

    name: str = PField(min_length=1, max_length=200, pattern=r"\S")
    department: str = PField(pattern=CODE, description="Target department code")
    position: StrictInt | None = PField(
        default=None, ge=0, le=1_000_000, description="Order; lower goes first"
    )
    enabled: StrictBool = True
    sources: list[Source] = PField(default_factory=list)
    kinds: list[Kind] = PField(default_factory=list)
    channels: list[Channel] = PField(default_factory=list)
    categories: list[str] = PField(default_factory=list, description="Category codes (+children)")
    districts: list[str] = PField(default_factory=list)
    priorities: list[Priority] = PField(default_factory=list)
    keywords: list[Annotated[str, PField(min_length=1, max_length=200)]] = PField(
        default_factory=list,
        max_length=200,
        description="Any of them, Russian morphology-aware («яма» matches «ямы», «ямой»)",
    )
    description: str | None = PField(default=None, max_length=2000)


class RoutingRulePublic(RoutingRuleIn):
    id: int
    position: int  # type: ignore[assignment]
    origin: str
    created_at: datetime
    updated_at: datetime


class ExplainRequest(RequestBody):
    """A ticket-shaped payload: where would it go? Nothing is stored."""

    text: str = PField(min_length=1, max_length=20_000)
    source: Source = Source.api
    kind: Kind = Kind.direct_request
    channel: Channel = Channel.web
    category: str | None = PField(default=None, max_length=64)
    source_category: str | None = PField(default=None, max_length=500)
    priority: Priority = Priority.normal
    address: str | None = PField(default=None, max_length=1000)
    lat: StrictFloat | None = PField(default=None, ge=-90, le=90)
    lon: StrictFloat | None = PField(default=None, ge=-180, le=180)
    district: str | None = PField(default=None, max_length=64)


class RuleRef(BaseModel):
    id: int | None
    name: str
    department: str


class NearMiss(BaseModel):
    rule: RuleRef
    failed: list[str] = PField(description="The condition that did not hold")
    details: list[str]


class ExplainResult(BaseModel):
    department: str
    method: str
    reason: str
    rule: RuleRef | None
    category: str
    district: str | None
    district_found_by: str
    confidence: float | None
    near_misses: list[NearMiss]


class ReturnRequest(RequestBody):
    reason: str = PField(min_length=3, max_length=4000)
    department: str | None = PField(
        default=None, pattern=CODE, description="The right department, if known"
    )


class RouteRequest(RequestBody):
    department: str = PField(pattern=CODE)
    reason: str = PField(min_length=3, max_length=4000)


class MergeRequest(RequestBody):
    into: StrictInt = PField(ge=1, le=2**63 - 1, description="The main ticket")
    reason: str | None = PField(default=None, max_length=4000)


class UnmergeRequest(RequestBody):
    reason: str | None = PField(default=None, max_length=4000)


class DuplicateSuggestionPublic(BaseModel):
    id: int
    ticket_id: int
    candidate_id: int
    score: float
    reasons: dict[str, Any]
    status: str
    created_at: datetime
