"""The ССТУ.РФ part of a 59-ФЗ appeal's page: its questions, the classifier's questions to
choose from, and the outcomes; the answer and reject forms post them (``_sstu_fields.html``)."""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.common import Kind
from app.models.sstu import (
    GROUND_NAMES,
    STATUS_NAMES,
    SstuAppealUpdate,
    SstuOutcome,
    SstuQuestionPublic,
)
from app.models.tickets import Ticket
from app.sstu import questions as sstu_questions
from app.sstu import service as sstu
from app.sstu.rules import DONE_STATUSES


async def panel(session: AsyncSession, ticket: Ticket) -> dict[str, Any] | None:
    """What the page shows and the forms offer; None for an appeal not reported (not 59-ФЗ)."""
    if ticket.kind != Kind.fz59_appeal:
        return None
    appeal = await sstu.appeal_public(session, ticket)
    profile = await sstu_questions.load_profile(session)
    # The appeal's questions, then one empty row to add a question.
    rows = [*appeal.questions, None]
    return {
        "appeal": appeal,
        "hints": hints(appeal.questions, reopened=ticket.status not in DONE_STATUSES),
        "rows": rows,
        "codes": await sstu.list_classifier(session, questions_only=True, include_retired=False),
        "outcomes": [(o.value, STATUS_NAMES[o.value]) for o in SstuOutcome],
        "grounds": list(GROUND_NAMES.items()),
        "status_names": STATUS_NAMES,
        "addressees": [str(a.get("name", "")) for a in profile.addressees],
    }


def hints(questions: list[SstuQuestionPublic], *, reopened: bool = False) -> list[str]:
    """What closing the appeal still needs, in the console's words (``missing`` in the API);
    ``reopened``: the appeal is open, so a result already in effect awaits confirmation."""
    out = []
    for q in questions:
        n = f"вопрос {q.position}"
        if not q.code:
            out.append(f"{n}: код классификатора")
        if q.status is None:
            out.append(f"{n}: результат рассмотрения")
        elif reopened and q.decided_at is not None:
            out.append(f"{n}: результат записан до возобновления — подтвердите его или измените")
        elif q.status == SstuOutcome.Supported and q.actions_taken is None:
            out.append(f"{n}: приняты ли меры")
        elif q.status == SstuOutcome.LeftWithoutAnswer and q.ground is None:
            out.append(f"{n}: основание по ст. 11 59-ФЗ")
        elif q.status == SstuOutcome.Transferred and (
            q.transfer is None or not q.transfer.department_id
        ):
            out.append(f"{n}: кому (из списка адресатов), когда и под каким номером направлено")
    return out


def update_from_form(
    codes: list[str],
    statuses: list[str],
    actions: list[str],
    grounds: list[str],
    transfer_to: list[str],
    transfer_dates: list[str],
    transfer_numbers: list[str],
) -> SstuAppealUpdate | None:
    """The questions the form's rows describe (a row without a code is no question); each
    row's details are taken for the outcome chosen only. None: the form had no rows."""
    questions: list[dict[str, Any]] = []
    rows = zip_longest(
        codes, statuses, actions, grounds, transfer_to, transfer_dates, transfer_numbers,
        fillvalue="",
    )  # fmt: skip
    for code, status, acted, ground, to, day, number in rows:
        if not code.strip():
            continue
        q: dict[str, Any] = {"code": code.strip()}
        if status:
            q["status"] = status
        if status == SstuOutcome.Supported and acted in ("yes", "no"):
            q["actions_taken"] = acted == "yes"
        if status == SstuOutcome.LeftWithoutAnswer and ground:
            q["ground"] = ground
        if status == SstuOutcome.Transferred and (to or day or number):
            q["transfer"] = {"to": to.strip(), "date": day, "number": number.strip()}
        questions.append(q)
    if not questions:
        return None
    return SstuAppealUpdate.model_validate({"questions": questions})
