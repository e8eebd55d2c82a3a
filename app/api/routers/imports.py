"""Excel imports of the sources' exports (back-fill, and cities without a push feed)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel

from app.access.api_keys import Principal
from app.api.deps import NowDep, SettingsDep, require_roles
from app.api.responses import problems
from app.intake.imports import import_workbook
from app.models.common import Role

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

ImporterDep = Annotated[Principal, Depends(require_roles(Role.admin, Role.integration))]


class ImportSource(StrEnum):
    feedback_platform = "feedback-platform"
    incident_management = "incident-management"


class RejectedRow(BaseModel):
    row: int
    reason: str
    errors: list[dict[str, Any]]


class ImportResult(BaseModel):
    """Row numbers (as Excel shows them) by outcome; rejected rows with their reasons."""

    source: str
    rows: int
    created: list[int]
    updated: list[int]
    unchanged: list[int]
    stale: list[int]
    rejected: list[RejectedRow]


@router.post("/{source}", response_model=ImportResult, responses=problems(401, 403, 413, 422, 503))
async def import_export(
    source: ImportSource,
    request: Request,
    _: ImporterDep,
    settings: SettingsDep,
    now: NowDep,
    file: Annotated[UploadFile, File(description="The .xlsx export as downloaded")],
) -> ImportResult:
    """Load a ПОС back-office or IM «Детализация» export; re-importing changes nothing.

    The rows go through the intake inbox and pipeline like webhooks; the answer comes once the
    last row's ticket is made, with every row's outcome."""
    report = await import_workbook(
        request.app.state.db,
        file.file,
        source=source.value,
        tz=settings.tz,
        now=now,
        batch_rows=settings.import_batch_rows,
    )
    return ImportResult.model_validate(report, from_attributes=True)
