"""Open data without a key: monthly figures per department — JSON, CSV for Excel, or a page for
people (a browser's ``Accept: text/html``, or ``format=html``) — briefly cached."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import NowDep, SessionDep, SettingsDep
from app.api.responses import problems
from app.errors import ValidationFailed
from app.reports.public_page import POLICY, render_error, render_page
from app.reports.public_stats import MonthFigures, TtlCache, month_range, monthly_figures, to_csv

router = APIRouter(prefix="/public/v1", tags=["public"])
# A month, ``YYYY-MM``: checked by ``month_range`` (a wrong one is a 422 problem, or a page in
# Russian for a browser), so the pattern is documented here rather than enforced by FastAPI.
_MONTH = {"pattern": r"^\d{4}-\d{2}$"}


def _cache(request: Request) -> TtlCache:
    cache = getattr(request.app.state, "public_stats_cache", None)
    if cache is None:
        cache = request.app.state.public_stats_cache = TtlCache()
    return cache  # type: ignore[no-any-return]


@router.get(
    "/stats",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}}},
        **problems(422, 503),
        # A person who asked for the page gets its error as a page (in Russian).
        422: {
            **problems(422)[422],
            "content": {
                **problems(422)[422].get("content", {}),
                "text/html": {"schema": {"type": "string"}},
            },
        },
    },
)
async def public_stats(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    from_: Annotated[str | None, Query(alias="from", json_schema_extra=_MONTH)] = None,
    to: Annotated[str | None, Query(json_schema_extra=_MONTH)] = None,
    format: Annotated[
        Literal["json", "csv", "html"] | None,
        Query(
            description="Left out: a page (tables, charts) when the `Accept` header asks for "
            "text/html — a browser —, else JSON. `csv`: for Russian Excel (UTF-8 with a BOM, "
            "`;`, decimal commas, a row per month and department)."
        ),
    ] = None,
) -> Any:
    """Per department and month: received, answered (answers given that month), of the tickets
    received that month those answered on time (with the count it is a percent of: answered or
    past their deadline), positive ratings (likewise). Every share is a percent (0–100). Months
    in the city's time zone; default the last twelve. A wrong month is a 422 problem, or a page
    in Russian when a browser asked for the page."""
    if format is None:
        format = "html" if "text/html" in request.headers.get("accept", "") else "json"
    try:
        first, after = month_range(from_, to, settings=settings, now=now)
    except ValidationFailed as exc:
        if format != "html":
            raise  # problem+json for scripts
        field = exc.extra.get("field")
        value = (from_ if field == "from" else to if field == "to" else None) or None
        value = value[:20] if value else None
        page = render_error(exc.detail, field, value=value)
        headers = {"Content-Security-Policy": POLICY, "Vary": "Accept"}
        return Response(
            page, status_code=422, media_type="text/html; charset=utf-8", headers=headers
        )
    key = (first, after)
    ttl = settings.public_stats_cache_seconds
    cached = _cache(request).get(key, ttl)
    if isinstance(cached, list):
        rows: list[MonthFigures] = cached
    else:
        rows = await monthly_figures(session, first=first, after=after, settings=settings, now=now)
        _cache(request).put(key, rows)
    headers = {"Cache-Control": f"public, max-age={int(ttl)}", "Vary": "Accept"}
    if format == "csv":
        headers["Content-Disposition"] = 'attachment; filename="appeals-stats.csv"'
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
    if format == "html":
        query = "".join(f"{k}={v}&" for k, v in (("from", from_), ("to", to)) if v)
        page = render_page(rows, query=query)
        headers["Content-Security-Policy"] = POLICY
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)
    return Response(
        content=_json([asdict(r) for r in rows]),
        media_type="application/json",
        headers=headers,
    )


def _json(data: Any) -> bytes:
    return json.dumps({"months": data}, ensure_ascii=False).encode()
