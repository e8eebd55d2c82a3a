"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under ``/open311/v2``.

Every path takes a ``.json`` or ``.xml`` suffix; errors are the spec's ``[{code, description}]``
(not problem+json), so GeoReport clients work as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from app.api.deps import NowDep, SessionDep, SettingsDep
from app.api.open311_format import check_format, render, render_error
from app.channels import open311
from app.errors import AppError

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPEC = "http://wiki.open311.org/GeoReport_v2"
# Documented as the two formats; anything else still reaches us and gets the spec's 400.
Fmt = Annotated[str, Path(description="json or xml", json_schema_extra={"enum": ["json", "xml"]})]
_CONTENT: dict[str, Any] = {"application/json": {}, "text/xml": {}}
_TEXTS = {
    200: "The answer, in the format of the suffix",
    400: "GeoReport error list: a missing or malformed field, an unknown format",
    403: "GeoReport error list: api_key missing, invalid, or not an integration key",
    404: "GeoReport error list: unknown service_code, service_request_id or jurisdiction_id",
}


_FIELDS = [
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
]
_REQUEST_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "properties": {name: {"type": "string"} for name in _FIELDS},
}


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"description": _TEXTS[c], "content": _CONTENT} for c in (200, *codes)}


CHANGESET = "2026-11-26T00:00:00Z"


async def _answer(fmt: str, make: Callable[[str], Awaitable[Response]]) -> Response:
    try:
        return await make(check_format(fmt))
    except open311.Open311Error as exc:
        return render_error(fmt, exc.status, exc.detail)
    except AppError as exc:
        return render_error(fmt, exc.status, exc.detail)


@router.get("/discovery.{fmt}", summary="Open311 discovery", responses=_responses(400))
async def discovery(fmt: Fmt, request: Request, settings: SettingsDep) -> Response:
    """Where this endpoint is and what it speaks."""
    base = str(request.base_url).rstrip("/") + "/open311/v2/"

    async def make(f: str) -> Response:
        data = {
            "changeset": CHANGESET,
            "contact": "Администрация города: пресс-служба",
            "key_service": "Ключ выдаёт администратор сервиса (роль integration)",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production" if settings.environment == "prod" else "test",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
        return render(f, data, root="discovery", item=None)

    return await _answer(fmt, make)


@router.get("/services.{fmt}", summary="Open311 service list", responses=_responses(400))
async def services(fmt: Fmt, session: SessionDep) -> Response:
    """The normalised categories, grouped by the department that handles them."""

    async def make(f: str) -> Response:
        rows = [
            {
                "service_code": s.code,
                "service_name": s.name,
                "description": s.description,
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": s.group,
            }
            for s in await open311.list_services(session)
        ]
        return render(f, rows, root="services", item="service")

    return await _answer(fmt, make)


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Open311 service definition",
    responses=_responses(400, 404),
)
async def service_definition(service_code: str, fmt: Fmt, session: SessionDep) -> Response:
    """A service's extra attributes (none: every service takes the standard fields only)."""

    async def make(f: str) -> Response:
        service = await open311.get_service(session, service_code)
        data = {"service_code": service.code, "attributes": []}
        return render(f, data, root="service_definition", item=None)

    return await _answer(fmt, make)


@router.post(
    "/requests.{fmt}",
    summary="Open311 create service request",
    responses=_responses(400, 403, 404),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": _REQUEST_FORM}},
        }
    },
)
async def create_request(
    fmt: Fmt, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Form-encoded per the spec; ``api_key`` of an integration key; answers the new id."""

    async def make(f: str) -> Response:
        # PostgreSQL text cannot hold NUL; nothing legitimate sends it.
        raw = (await request.form()).items()
        form = {k: v.replace("\x00", "") for k, v in raw if isinstance(v, str)}
        ticket = await open311.create_request(session, form, settings=settings, now=now)
        rows = [
            {
                "service_request_id": ticket.number,
                "service_notice": "",
                "account_id": form.get("account_id") or None,
            }
        ]
        return render(f, rows, root="service_requests", item="request")

    return await _answer(fmt, make)


@router.get(
    "/requests.{fmt}", summary="Open311 get service requests", responses=_responses(400, 404)
)
async def list_requests(
    fmt: Fmt, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Filters: service_request_id (comma list), service_code, start_date, end_date, status."""

    async def make(f: str) -> Response:
        query = open311.parse_query(dict(request.query_params), now=now)
        open311.check_jurisdiction(settings, request.query_params.get("jurisdiction_id"))
        tickets = await open311.find_requests(session, query)
        rows = await open311.describe_requests(session, tickets, settings=settings)
        return render(f, rows, root="service_requests", item="request")

    return await _answer(fmt, make)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="Open311 get service request",
    responses=_responses(400, 404),
)
async def get_request(
    service_request_id: str, fmt: Fmt, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """One request, as a list of one (the spec's shape)."""

    async def make(f: str) -> Response:
        open311.check_jurisdiction(settings, request.query_params.get("jurisdiction_id"))
        ticket = await open311.get_request(session, service_request_id)
        rows = await open311.describe_requests(session, [ticket], settings=settings)
        return render(f, rows, root="service_requests", item="request")

    return await _answer(fmt, make)
