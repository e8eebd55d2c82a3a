"""Read endpoints for the city's directory: departments, categories, districts."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import PrincipalDep, SessionDep
from app.api.responses import problems
from app.directory import service as directory
from app.models.directory import CategoryPublic, DepartmentPublic, DistrictPublic

router = APIRouter(prefix="/api/v1", tags=["directory"])


@router.get("/departments", response_model=list[DepartmentPublic], responses=problems(401, 503))
async def departments(session: SessionDep, _: PrincipalDep) -> list[DepartmentPublic]:
    """Every department of the city."""
    rows = await directory.list_departments(session)
    return [DepartmentPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("/categories", response_model=list[CategoryPublic], responses=problems(401, 503))
async def categories(session: SessionDep, _: PrincipalDep) -> list[CategoryPublic]:
    """The normalised category taxonomy with each category's default department."""
    rows = await directory.list_categories(session)
    return [CategoryPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("/districts", response_model=list[DistrictPublic], responses=problems(401, 503))
async def districts(session: SessionDep, _: PrincipalDep) -> list[DistrictPublic]:
    """The city's districts."""
    rows = await directory.list_districts(session)
    return [DistrictPublic.model_validate(r, from_attributes=True) for r in rows]
