"""The ССТУ.РФ appeal document on the wire: every field name of the format lives here.

The format as public adapters of ССТУ.РФ use it (the Java ``sstu-adapter`` DTOs, C# clients):
an appeal has ``departmentId``, ``isDirect``, ``format`` (``Electronic`` / ``Other``),
``number``, ``createDate``, the applicant's ``name`` / ``address`` / ``email`` where required,
and ``questions``; a question has ``code``, ``status`` and, by status, ``incomingDate``,
``registrationDate``, ``responseDate``, ``isExtend`` (in work), ``actionsTaken`` (supported)
and ``transfer`` (``departmentId``, ``transferDate``, ``transferNumber``). Dates are
``YYYY-MM-DD``. Assumption: no attachment is sent (the adapters can attach the answer file;
the hub keeps answers as text). ``appeal.schema.json`` beside this module is the same contract
as a JSON Schema; ``WireAppeal`` checks a document the same way (the simulator uses it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.models.sstu import CODE_PATTERN, AppealRecord, QuestionRecord, SstuStatus

SCHEMA_PATH = Path(__file__).with_name("appeal.schema.json")

# The fields each status carries beyond ``code`` and ``status`` (required ones).
REQUIRED: dict[str, tuple[str, ...]] = {
    "NotReceived": (),
    "NotRegistered": ("incomingDate",),
    "InWork": ("incomingDate", "registrationDate", "isExtend"),
    "Explained": ("incomingDate", "registrationDate", "responseDate"),
    "Answered": ("incomingDate", "registrationDate", "responseDate"),
    "NotSupported": ("incomingDate", "registrationDate", "responseDate"),
    "LeftWithoutAnswer": ("incomingDate", "registrationDate", "responseDate"),
    "Supported": ("incomingDate", "registrationDate", "responseDate", "actionsTaken"),
    "Transferred": ("incomingDate", "registrationDate", "transfer"),
}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def question_json(q: QuestionRecord) -> dict[str, Any]:
    """One question: ``code``, ``status`` and exactly the fields its status carries."""
    values: dict[str, Any] = {
        "incomingDate": _day(q.incoming_on),
        "registrationDate": _day(q.registered_on),
        "responseDate": _day(q.responded_on),
        "isExtend": q.extended,
        "actionsTaken": q.actions_taken,
        "transfer": (
            {
                "departmentId": q.transfer.department_id,
                "transferDate": _day(q.transfer.on),
                "transferNumber": q.transfer.number,
            }
            if q.transfer is not None
            else None
        ),
    }
    body: dict[str, Any] = {"code": q.code, "status": q.status.value}
    body.update({k: values[k] for k in REQUIRED[q.status.value]})
    return body


def appeal_json(record: AppealRecord) -> dict[str, Any]:
    """The whole document of one appeal, applicant fields only where the record has them."""
    body: dict[str, Any] = {
        "departmentId": record.department_id,
        "isDirect": record.direct,
        "format": "Electronic" if record.electronic else "Other",
        "number": record.number,
        "createDate": record.created_on.isoformat(),
    }
    for key, value in (
        ("name", record.applicant.name),
        ("address", record.applicant.address),
        ("email", record.applicant.email),
    ):
        if value:
            body[key] = value
    body["questions"] = [question_json(q) for q in record.questions]
    return body


def with_applicant(document: dict[str, Any], applicant: dict[str, str | None]) -> dict[str, Any]:
    """The document with the applicant's fields (name, address, email) added where given."""
    extra = {k: v for k, v in applicant.items() if k in ("name", "address", "email") and v}
    head = {k: v for k, v in document.items() if k != "questions"}
    return {**head, **extra, "questions": document.get("questions", [])}


class WireTransfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departmentId: str = Field(min_length=1, max_length=64)
    transferDate: date
    transferNumber: str = Field(min_length=1, max_length=64)


class WireQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN)
    status: SstuStatus
    incomingDate: date | None = None
    registrationDate: date | None = None
    responseDate: date | None = None
    isExtend: bool | None = None
    actionsTaken: bool | None = None
    transfer: WireTransfer | None = None

    @model_validator(mode="after")
    def _fields_of_status(self) -> WireQuestion:
        wanted = REQUIRED[self.status.value]
        given = {k for k, v in self.model_dump(exclude={"code", "status"}).items() if v is not None}
        missing = [k for k in wanted if k not in given]
        extra = sorted(given - set(wanted))
        if missing or extra:
            raise ValueError(
                f"status {self.status.value}: missing {missing or 'nothing'}, "
                f"not allowed {extra or 'nothing'}"
            )
        return self


class WireAppeal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departmentId: str = Field(min_length=1, max_length=64)
    isDirect: bool
    format: Literal["Electronic", "Other"]
    number: str = Field(min_length=1, max_length=64)
    createDate: date
    name: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=254)
    questions: list[WireQuestion] = Field(min_length=1, max_length=20)


def format_errors(document: dict[str, Any]) -> list[str]:
    """What makes ``document`` not a valid appeal of the format (empty: it is valid)."""
    try:
        WireAppeal.model_validate(document)
    except ValidationError as exc:
        return [
            f"the document: {'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
            for e in exc.errors()
        ]
    return []
