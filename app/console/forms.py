"""The console's posted forms as FastAPI Form models: the fields each page sends.

The fields are lenient on purpose: a form never fails validation here (that would be a JSON
422 instead of a page). What a field means is checked by the domain's request models, whose
errors the actions show on the page; a form's values are text, so a number is read from it
(``strict=False``) where a JSON body must send a number. A field is trimmed and a blank one is
absent; a file where text belongs is absent too.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from app.console.session import CSRF_FIELD
from app.console.sstu_panel import update_from_form
from app.models.common import Status
from app.models.routing import ReturnRequest, RouteRequest
from app.models.schemas import AnswerCreate, TransitionRequest
from app.models.sla import ExtensionRequest
from app.models.sstu import SstuAppealUpdate


def _trimmed(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _as_sent(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _as_text(value: object) -> str:
    return str(value or "")


Text = Annotated[str | None, BeforeValidator(_trimmed)]
"""Trimmed; blank (or not text) is None."""
Raw = Annotated[str | None, BeforeValidator(_as_sent)]
"""As sent; not text is None."""


def _texts(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v.strip() if isinstance(v, str) else "" for v in items if v is not None]


Texts = Annotated[list[str], BeforeValidator(_texts)]
"""A repeated field's values, trimmed, in order (one per row of the form)."""


class SstuRows(BaseModel):
    """A 59-ФЗ appeal's questions for ССТУ.РФ, one row each (``_sstu_fields.html``)."""

    q_code: Texts = Field(default_factory=list)
    q_status: Texts = Field(default_factory=list)
    q_actions: Texts = Field(default_factory=list)
    q_ground: Texts = Field(default_factory=list)
    t_to: Texts = Field(default_factory=list)
    t_date: Texts = Field(default_factory=list)
    t_number: Texts = Field(default_factory=list)

    def sstu_update(self) -> SstuAppealUpdate | None:
        return update_from_form(
            self.q_code,
            self.q_status,
            self.q_actions,
            self.q_ground,
            self.t_to,
            self.t_date,
            self.t_number,
        )


class LoginForm(BaseModel):
    """Sign-in: login and password as typed, and the page's CSRF token."""

    login: Annotated[str, BeforeValidator(_as_text)] = ""
    password: Annotated[str, BeforeValidator(_as_text)] = ""
    csrf_token: Raw = Field(None, alias=CSRF_FIELD)
    kept: Annotated[str, BeforeValidator(_as_text)] = ""  # console.kept_text's token


class ReasonForm(BaseModel):
    """Take into work or put on hold: an optional reason."""

    reason: Text = None

    def transition(self, to: Status) -> TransitionRequest:
        return TransitionRequest(to=to, reason=self.reason)


class AnswerForm(SstuRows):
    """The answer to the citizen and its kind (an explicit choice: nothing is preselected);
    ``confirm``: the box that confirms a final answer; a 59-ФЗ appeal's questions with their
    outcomes."""

    text: Text = None
    kind: Text = None
    confirm: Text = None

    def request(self) -> AnswerCreate:
        return AnswerCreate(text=self.text or "", kind=self.kind)  # type: ignore[arg-type]


class RejectForm(SstuRows):
    """Refuse: why, and where the citizen should turn instead; a 59-ФЗ appeal's questions
    with their outcomes (transferred, left without an answer)."""

    reason: Text = None
    redirect_to: Text = None

    def request(self) -> TransitionRequest:
        return TransitionRequest(
            to=Status.rejected, reason=self.reason, redirect_to=self.redirect_to
        )


class ReturnForm(BaseModel):
    """Not ours: why, and (optionally) whose."""

    reason: Text = None
    department: Text = None

    def request(self) -> ReturnRequest:
        return ReturnRequest(reason=self.reason or "", department=self.department)


class ExtendForm(BaseModel):
    """Extend the deadline: why, and by how many days (30 unless said)."""

    reason: Text = None
    days: Text = None

    def request(self) -> ExtensionRequest:
        return ExtensionRequest.model_validate(
            {"reason": self.reason or "", "days": self.days or 30}, strict=False
        )


class MergeForm(BaseModel):
    """This ticket duplicates ``into`` (an id) or the ticket numbered ``number``; ``confirm``:
    the confirmation box; ``from`` says which page to go back to."""

    into: Text = None
    number: Text = None
    confirm: Text = None
    from_: Raw = Field(None, alias="from")


class RouteForm(BaseModel):
    """Send to a department; ``from`` says which page to go back to."""

    department: Text = None
    reason: Text = None
    from_: Raw = Field(None, alias="from")

    def request(self) -> RouteRequest:
        return RouteRequest(
            department=self.department or "", reason=self.reason or "направлено при разборе"
        )
