"""ССТУ.РФ reporting (decree No. 171): the thematic classifier, each 59-ФЗ appeal's questions
with their outcomes, the city's ССТУ profile, and the neutral records a monthly document is
built from (the wire field names live in ``app.connectors.sstu``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool
from sqlalchemy import BigInteger, Column, Date, Identity, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from app.models.common import RequestBody, ts_field

# РАЗДЕЛ.ТЕМАТИКА.ГРУППА.ВОПРОС: four segments of four ASCII digits (pydantic's \d is Unicode).
CODE_PATTERN = r"^[0-9]{4}\.[0-9]{4}\.[0-9]{4}\.[0-9]{4}$"
QuestionCode = Annotated[str, Field(pattern=CODE_PATTERN, examples=["0005.0005.0056.1153"])]
MAX_QUESTIONS = 20


class SstuStatus(StrEnum):
    """A question's status in ССТУ.РФ (the names its format uses)."""

    NotReceived = "NotReceived"  # Не поступило
    NotRegistered = "NotRegistered"  # Не зарегистрировано
    InWork = "InWork"  # Находится на рассмотрении
    Explained = "Explained"  # Рассмотрено. Разъяснено
    Supported = "Supported"  # Рассмотрено. Поддержано
    NotSupported = "NotSupported"  # Рассмотрено. Не поддержано
    Transferred = "Transferred"  # Направлено по компетенции
    Answered = "Answered"  # Дан ответ автору
    LeftWithoutAnswer = "LeftWithoutAnswer"  # Оставлено без ответа автору


class SstuOutcome(StrEnum):
    """The outcomes staff record when they close a 59-ФЗ appeal; the other statuses come from
    the ticket's lifecycle (``app.sstu.rules.question_state``)."""

    Supported = "Supported"
    Explained = "Explained"
    NotSupported = "NotSupported"
    LeftWithoutAnswer = "LeftWithoutAnswer"
    Transferred = "Transferred"


STATUS_NAMES: dict[str, str] = {
    "NotReceived": "Не поступило",
    "NotRegistered": "Не зарегистрировано",
    "InWork": "Находится на рассмотрении",
    "Explained": "Рассмотрено. Разъяснено",
    "Supported": "Рассмотрено. Поддержано",
    "NotSupported": "Рассмотрено. Не поддержано",
    "Transferred": "Направлено по компетенции",
    "Answered": "Дан ответ автору",
    "LeftWithoutAnswer": "Оставлено без ответа автору",
}


class WithoutAnswerGround(StrEnum):
    """Why 59-ФЗ lets an appeal go without an answer (art. 11)."""

    anonymous = "anonymous"  # ч. 1: no name or postal address to answer to
    obscene = "obscene"  # ч. 3: obscene or offensive words, threats
    unreadable = "unreadable"  # ч. 4: the text cannot be read
    unclear = "unclear"  # ч. 4.1: the text does not let one tell what is asked
    repeated = "repeated"  # ч. 5: the same question answered before; correspondence ended
    secret = "secret"  # ч. 6: the answer would disclose a state secret


GROUND_NAMES: dict[str, str] = {
    "anonymous": "ст. 11 ч. 1 — не указаны фамилия или почтовый адрес",
    "obscene": "ст. 11 ч. 3 — нецензурные или оскорбительные выражения, угрозы",
    "unreadable": "ст. 11 ч. 4 — текст не поддаётся прочтению",
    "unclear": "ст. 11 ч. 4.1 — по тексту нельзя определить суть обращения",
    "repeated": "ст. 11 ч. 5 — повторное обращение, переписка прекращена",
    "secret": "ст. 11 ч. 6 — ответ разгласил бы государственную тайну",
}


# --- Tables -------------------------------------------------------------------------------


class SstuClassifierEntry(SQLModel, table=True):
    """One entry of the thematic classifier (section, theme, group or question)."""

    __tablename__ = "sstu_classifier"
    code: str = SQLField(sa_type=String(19), primary_key=True)
    name: str = SQLField(sa_type=Text)
    level: int  # 1 section … 4 question
    assumption: str | None = SQLField(default=None, sa_type=Text)
    edition: str = SQLField(sa_type=String(200))
    retired: bool = False  # gone from the loaded edition; old appeals may still name it
    updated_at: datetime = ts_field(default_now=True)


class SstuCategoryQuestion(SQLModel, table=True):
    """A city category's default question code (``categories[].sstu_question``)."""

    __tablename__ = "sstu_category_questions"
    category_code: str = SQLField(
        sa_type=String(64), primary_key=True, foreign_key="categories.code"
    )
    question_code: str = SQLField(sa_type=String(19))


class SstuProfile(SQLModel, table=True):
    """The city's ССТУ settings from its config (``sstu:``): one row."""

    __tablename__ = "sstu_profile"
    id: int = SQLField(default=1, primary_key=True)
    department_id: str | None = SQLField(default=None, sa_type=String(64))
    department_ids: dict[str, Any] = SQLField(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    addressees: list[dict[str, Any]] = SQLField(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    applicant_fields: list[str] = SQLField(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    updated_at: datetime = ts_field(default_now=True)


class SstuAppeal(SQLModel, table=True):
    """What staff said about an appeal as a whole (absent: the defaults)."""

    __tablename__ = "sstu_appeals"
    ticket_id: int = SQLField(sa_type=BigInteger, primary_key=True, foreign_key="tickets.id")
    is_direct: bool = True  # sent straight to us, not forwarded by another body
    updated_at: datetime = ts_field(default_now=True)
    updated_by: str = SQLField(sa_type=String(200))


class SstuQuestion(SQLModel, table=True):
    """One question of an appeal: its code and, once decided, its outcome."""

    __tablename__ = "sstu_questions"
    __table_args__ = (
        UniqueConstraint("ticket_id", "position", name="uq_sstu_question_position"),
        Index("ix_sstu_questions_decided", "decided_at"),
    )
    id: int | None = SQLField(
        default=None, sa_column=Column(BigInteger, Identity(), primary_key=True)
    )
    ticket_id: int = SQLField(sa_type=BigInteger, foreign_key="tickets.id")
    position: int
    code: str = SQLField(sa_type=String(19))
    status: str | None = SQLField(default=None, sa_type=String(24))  # an SstuOutcome
    actions_taken: bool | None = None
    ground: str | None = SQLField(default=None, sa_type=String(24))
    transfer_to: str | None = SQLField(default=None, sa_type=String(500))
    transfer_department_id: str | None = SQLField(default=None, sa_type=String(64))
    transfer_on: date | None = SQLField(default=None, sa_column=Column(Date))
    transfer_number: str | None = SQLField(default=None, sa_type=String(64))
    # When the outcome took effect: the ticket was answered, closed or rejected with it.
    decided_at: datetime | None = ts_field()
    updated_at: datetime = ts_field(default_now=True)
    updated_by: str = SQLField(sa_type=String(200))


# --- API schemas --------------------------------------------------------------------------


class SstuTransferIn(RequestBody):
    """Направлено по компетенции: to whom, when and under which outgoing number."""

    to: str = Field(min_length=2, max_length=500, examples=["Роспотребнадзор по Приморскому краю"])
    department_id: str | None = Field(
        default=None,
        max_length=64,
        description="The addressee's id in ССТУ.РФ; left out, it is looked up by `to` among "
        "the city's `sstu.addressees`",
    )
    date: date
    number: str = Field(min_length=1, max_length=64, description="Outgoing letter number")


class SstuQuestionIn(RequestBody):
    code: QuestionCode
    status: SstuOutcome | None = Field(
        default=None, description="The outcome; needed by the time the appeal is closed"
    )
    actions_taken: StrictBool | None = Field(
        default=None, description="Supported: were measures taken (меры приняты)?"
    )
    ground: WithoutAnswerGround | None = Field(
        default=None, description="LeftWithoutAnswer: the 59-ФЗ art. 11 ground"
    )
    transfer: SstuTransferIn | None = Field(default=None, description="Transferred: details")


class SstuAppealUpdate(RequestBody):
    """The appeal's questions (all of them, in order) and whether it came to us directly."""

    questions: list[SstuQuestionIn] = Field(min_length=1, max_length=MAX_QUESTIONS)
    direct: StrictBool | None = Field(
        default=None, description="False when another body forwarded the appeal to us"
    )


class SstuTransferPublic(BaseModel):
    to: str
    department_id: str | None
    date: date
    number: str


class SstuQuestionPublic(BaseModel):
    position: int
    code: str | None = Field(description="Null: no code yet (the category has no default)")
    name: str | None = Field(description="The classifier's name of the code")
    section: str | None = Field(description="The code's section (РАЗДЕЛ), e.g. 0005.0000.0000.0000")
    stored: bool = Field(description="False: the category's default, not yet confirmed by staff")
    status: SstuOutcome | None
    actions_taken: bool | None
    ground: WithoutAnswerGround | None
    transfer: SstuTransferPublic | None
    decided_at: datetime | None


class SstuAppealPublic(BaseModel):
    ticket_id: int
    number: str
    reported: bool = Field(description="True for 59-ФЗ appeals: they are reported to ССТУ.РФ")
    direct: bool
    questions: list[SstuQuestionPublic]
    missing: list[str] = Field(
        description="What closing the appeal would still need (empty: it can be closed)"
    )


class ClassifierEntryPublic(BaseModel):
    code: str
    name: str
    level: int
    assumption: str | None
    retired: bool


# --- Neutral records of a monthly document (connectors map them to the wire) ---------------


@dataclass(frozen=True)
class TransferRecord:
    department_id: str | None
    to: str
    on: date
    number: str


@dataclass(frozen=True)
class QuestionRecord:
    code: str
    status: SstuStatus
    incoming_on: date
    registered_on: date | None
    responded_on: date | None
    actions_taken: bool | None = None
    transfer: TransferRecord | None = None
    extended: bool = False


@dataclass(frozen=True)
class ApplicantRecord:
    """Only the fields the city's profile says the format requires (``applicant_fields``)."""

    name: str | None = None
    address: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class AppealRecord:
    department_id: str
    direct: bool
    electronic: bool
    number: str
    created_on: date
    questions: tuple[QuestionRecord, ...]
    applicant: ApplicantRecord = ApplicantRecord()


# --- The monthly report (API) ---------------------------------------------------------------


class SstuStatisticsRow(BaseModel):
    section: str = Field(description="РАЗДЕЛ code, e.g. 0005.0000.0000.0000")
    section_name: str | None
    status: SstuStatus
    channel: str
    appeals: int = Field(description="Appeals with a question in this cell")
    questions: int


class SstuStatistics(BaseModel):
    rows: list[SstuStatisticsRow]
    appeals: int
    questions: int
    questions_by_status: dict[str, int]
    questions_by_section: dict[str, int]


class SstuAppealIndex(BaseModel):
    """Which ticket a document (same position in ``documents``) is, for people reading it."""

    ticket_id: int
    number: str
    console: str = Field(description="The ticket's console page (path)")
    transferred_to: list[str] = Field(description="Whom its transferred questions went to")


class SstuProblemPublic(BaseModel):
    ticket_id: int | None
    number: str | None
    console: str | None
    missing: list[str]
    reported: bool = Field(
        description="True: its document is in `documents` all the same (with the status the "
        "lifecycle gives); false: it cannot be reported until fixed"
    )


class SstuReportPublic(BaseModel):
    month: str
    department_id: str | None = Field(description="The reporting body's ССТУ.РФ id")
    ready: bool = Field(description="True when nothing is missing: the month can be uploaded")
    documents: list[dict[str, Any]] = Field(
        description="One ССТУ.РФ document per appeal (app/connectors/sstu/appeal.schema.json)"
    )
    appeals: list[SstuAppealIndex]
    problems: list[SstuProblemPublic]
    statistics: SstuStatistics


class SstuUploadPublic(BaseModel):
    month: str
    documents: int
    queued: int = Field(description="Documents queued now (unchanged ones are not sent again)")
