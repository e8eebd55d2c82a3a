"""ССТУ.РФ: an appeal's questions and outcomes, the classifier, the monthly report and upload."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from app.access.api_keys import Principal
from app.api.deps import NowDep, RowId, SessionDep, SettingsDep, StaffDep, require_roles
from app.api.responses import problems
from app.models.common import Role
from app.models.sstu import (
    ClassifierEntryPublic,
    SstuAppealPublic,
    SstuAppealUpdate,
    SstuReportPublic,
    SstuUploadPublic,
)
from app.sstu import monthly
from app.sstu import service as sstu

router = APIRouter(tags=["sstu"])

ManagerDep = Annotated[Principal, Depends(require_roles(Role.manager, Role.admin))]
Month = Annotated[
    str,
    Query(
        max_length=7,
        description="The month, `YYYY-MM`, in the city's time zone",
        examples=["2026-11"],
    ),
]


@router.get(
    "/api/v1/tickets/{ticket_id}/sstu",
    response_model=SstuAppealPublic,
    responses=problems(401, 403, 404, 422, 503),
)
async def get_questions(
    ticket_id: RowId, session: SessionDep, principal: StaffDep
) -> SstuAppealPublic:
    """The appeal's ССТУ.РФ questions (stored, or its category's default) and what closing it
    still needs (`missing`; only 59-ФЗ appeals are reported)."""
    return await sstu.get_appeal(session, ticket_id, principal=principal)


@router.put(
    "/api/v1/tickets/{ticket_id}/sstu",
    response_model=SstuAppealPublic,
    responses=problems(401, 403, 404, 422, 503),
)
async def put_questions(
    ticket_id: RowId,
    data: SstuAppealUpdate,
    session: SessionDep,
    principal: StaffDep,
    now: NowDep,
) -> SstuAppealPublic:
    """Set the appeal's questions: their classifier codes and, once known, each one's outcome
    (`Supported` with `actions_taken`, `Explained`, `NotSupported`, `LeftWithoutAnswer` with
    the 59-ФЗ `ground`, `Transferred` with `transfer`). A 59-ФЗ appeal cannot be answered,
    closed or rejected until every question has one (422 naming what is missing)."""
    return await sstu.update_appeal(session, ticket_id, data, principal=principal, now=now)


@router.get(
    "/api/v1/sstu/classifier",
    response_model=list[ClassifierEntryPublic],
    responses=problems(401, 403, 422, 503),
)
async def classifier(
    session: SessionDep,
    principal: StaffDep,
    questions: Annotated[bool, Query(description="Questions only (level 4)")] = False,
    retired: Annotated[bool, Query(description="Also entries gone from the edition")] = False,
) -> list[ClassifierEntryPublic]:
    """The loaded edition of the thematic classifier of appeal questions, by code."""
    return await sstu.list_classifier(session, questions_only=questions, include_retired=retired)


@router.get(
    "/api/v1/reports/sstu",
    response_model=SstuReportPublic,
    responses={
        200: {"content": {"application/json": {}, "application/zip": {}}},
        **problems(401, 403, 422, 503),
    },
)
async def report(
    session: SessionDep,
    principal: ManagerDep,
    settings: SettingsDep,
    month: Month,
    format: Annotated[
        Literal["json", "zip"], Query(description="`zip`: one JSON document per appeal")
    ] = "json",
) -> Response | SstuReportPublic:
    """The month's ССТУ.РФ report: one document per 59-ФЗ appeal (received in the month, or
    earlier and not decided before it), what keeps appeals from being reported, and the
    statistics table (questions by section × status × channel). Admins and the press service
    see the city; other managers their own department's appeals."""
    built = await monthly.month_report(session, month, principal=principal, tz=settings.tz)
    if format == "zip":
        name, body = monthly.month_archive(built)
        return Response(
            body,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return await monthly.report_public(session, built)


@router.post(
    "/api/v1/reports/sstu/uploads",
    response_model=SstuUploadPublic,
    status_code=202,
    responses=problems(401, 403, 409, 422, 503),
)
async def upload(
    session: SessionDep, principal: ManagerDep, settings: SettingsDep, month: Month, now: NowDep
) -> SstuUploadPublic:
    """Queue the month's documents for ССТУ.РФ (the outbox relay sends them, with retries and
    dead letters: `GET /api/v1/outbox?target=sstu`). A month that has not ended yet in the
    city's time zone is a 409; so is a month with appeals lacking a code or an outcome (listing
    them). Nothing is queued then. Uploading a month again queues only the documents that
    changed or are new since (an appeal received in it but delivered late joins it)."""
    return await monthly.queue_upload(session, month, principal=principal, tz=settings.tz, now=now)
