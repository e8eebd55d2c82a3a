"""SLA policies (data, not code), marks the sweeper leaves once per ticket and target, schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictFloat, StrictInt, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, Column, ForeignKey, Identity, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.common import Kind, Priority, RequestBody, Source, Unit, ts_field


class SlaPolicy(SQLModel, table=True):
    __tablename__ = "sla_policies"
    __table_args__ = (Index("ix_sla_policies_active", "active", "position"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    name: str = Field(sa_type=String(100), unique=True)
    position: int = 100
    source: str | None = Field(default=None, sa_type=String(32))
    kind: str | None = Field(default=None, sa_type=String(32))
    category: str | None = Field(default=None, sa_type=String(64))
    priority: str | None = Field(default=None, sa_type=String(16))
    fast_track: bool | None = None
    first_response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    resolution: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    after_interim: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    use_source_due: bool = False
    legal_dates: bool = False
    max_extension_days: int = 0
    registration: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    registration_by_hand: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    active: bool = True
    origin: str = Field(default="api", sa_type=String(16))  # "config" rows follow the YAML
    updated_at: datetime = ts_field(default_now=True)


class SlaMark(SQLModel, table=True):
    """At-risk or breached, recorded once per ticket, target and level."""

    __tablename__ = "sla_marks"
    __table_args__ = (Index("ix_sla_marks_marked", "marked_at"),)

    ticket_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    # registration | first_response | resolution (app.metrics.catalog.SLA_TARGETS)
    target: str = Field(sa_type=String(16), primary_key=True)
    level: str = Field(sa_type=String(16), primary_key=True)  # at_risk | breached
    due_at: datetime = ts_field(nullable=False)
    department_code: str = Field(sa_type=String(64))
    marked_at: datetime = ts_field(nullable=False)


# -- API schemas ------------------------------------------------------------------------------


class TermSchema(RequestBody):
    value: StrictFloat = PydanticField(gt=0, le=1000)
    unit: Unit

    @model_validator(mode="after")
    def _whole_days(self) -> TermSchema:
        if self.unit == Unit.calendar_days and self.value != int(self.value):
            raise ValueError("calendar_days must be a whole number of days")
        return self


class SlaPolicyBase(RequestBody):
    position: StrictInt = PydanticField(default=100, ge=0, le=100_000)
    source: Source | None = None
    kind: Kind | None = None
    category: str | None = PydanticField(default=None, max_length=64)
    priority: Priority | None = None
    fast_track: StrictBool | None = None
    first_response: TermSchema | None = None
    resolution: TermSchema | None = None
    after_interim: TermSchema | None = None
    use_source_due: StrictBool = False
    legal_dates: StrictBool = False
    max_extension_days: StrictInt = PydanticField(default=0, ge=0, le=30)
    registration: TermSchema | None = PydanticField(
        default=None, description="59-ФЗ art. 8 p. 2: register within this term of receipt"
    )
    registration_by_hand: StrictBool = PydanticField(
        default=False,
        description="An operator records the registration (POST /tickets/{id}/register); "
        "otherwise the hub registers the appeal when it makes the ticket",
    )
    active: StrictBool = True

    @model_validator(mode="after")
    def _consistent(self) -> SlaPolicyBase:
        if self.legal_dates and self.first_response is not None:
            raise ValueError(
                "a 59-ФЗ policy (legal_dates) has no first-response target: "
                "its 3-day term is 'registration'"
            )
        if self.registration_by_hand and self.registration is None:
            raise ValueError("registration_by_hand needs a registration term")
        if self.legal_dates and (
            self.resolution is None or self.resolution.unit != Unit.calendar_days
        ):
            raise ValueError("legal_dates needs a resolution term in calendar_days")
        if self.max_extension_days and not self.legal_dates:
            raise ValueError("only a policy with legal_dates (59-ФЗ) can be extended")
        return self


class SlaPolicyCreate(SlaPolicyBase):
    name: str = PydanticField(pattern=r"^[a-z0-9_]{1,100}$")


class SlaPolicyUpdate(SlaPolicyBase):
    """The whole policy (PUT semantics); its name stays."""


class SlaPolicyPublic(SlaPolicyCreate):
    model_config = ConfigDict(extra="ignore")
    id: int
    origin: str
    updated_at: datetime


class ExtensionRequest(RequestBody):
    reason: str = PydanticField(min_length=3, max_length=2000)
    days: StrictInt = PydanticField(default=30, ge=1, le=30)


class DurationStats(BaseModel):
    count: int
    median_seconds: float | None
    p95_seconds: float | None


class BreachCount(BaseModel):
    key: str
    first_response: int
    resolution: int
    registration: int = 0


class RegistrationStats(BaseModel):
    """59-ФЗ registration (its own target): appeals with a registration term, judged by it."""

    count: int = 0
    on_time: int = 0
    missed: int = 0


class OverdueNow(BaseModel):
    """Open tickets past a running target's deadline right now (``app.metrics.overdue_now``):
    per target, and ``tickets`` — each ticket once however many of its targets are late."""

    tickets: int = 0
    first_response: int = 0
    registration: int = 0
    resolution: int = 0


class DepartmentSla(BaseModel):
    """One department in a period: the on-time rule of the whole report, what is overdue right
    now (whenever received), and citizens' ratings given in the period. Percents are 0–100."""

    department: str
    name: str
    tickets: int
    on_time: int
    missed: int
    on_time_percent: float | None
    overdue_now: int  # open tickets with any running target past due (= overdue_by_target.tickets)
    overdue_by_target: OverdueNow
    feedback: int
    positive: int
    satisfied_percent: float | None


class SlaReport(BaseModel):
    period_from: datetime
    period_to: datetime
    department: str | None
    tickets: int
    on_time: int
    missed: int
    pending: int
    on_time_percent: float | None
    first_response: DurationStats
    resolution: DurationStats
    breaches_by_category: list[BreachCount]
    breaches_by_source: list[BreachCount]
    registration: RegistrationStats = PydanticField(default_factory=RegistrationStats)
    departments: list[DepartmentSla] = PydanticField(default_factory=list)


ReportFormat = Literal["json", "csv"]
