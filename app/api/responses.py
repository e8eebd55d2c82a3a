"""Documented error responses, so the OpenAPI contract shows every problem a client can get."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    texts = {
        400: "Bad request",
        401: "Missing or invalid API key",
        403: "Role not allowed",
        404: "Not found (or another department's)",
        409: "Conflict",
        412: "If-Match does not match the current ETag",
        413: "Body too large",
        422: "Validation failed",
        428: "If-Match is required",
        429: "Rate limited",
        503: "Database unavailable",
    }
    if 401 in codes:
        # Every authenticated route is rate limited per key.
        codes = (*codes, 429)
    return {
        code: {
            "model": Problem,
            "description": texts.get(code, "Error"),
            "content": {"application/problem+json": {}},
        }
        for code in codes
    }


def use_problem_for_validation_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents its own 422 as ``application/json`` HTTPValidationError; ours is a
    problem+json with field errors. Rewrite every 422 in the generated contract to say so."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            response = operation.get("responses", {}).get("422")
            if response is None:
                continue
            # A page for people (``text/html``) answers its 422 as a page too: kept.
            pages = {k: v for k, v in response.get("content", {}).items() if k == "text/html"}
            response["content"] = {"application/problem+json": {"schema": problem_ref}, **pages}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema
