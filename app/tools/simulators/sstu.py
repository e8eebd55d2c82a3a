"""A fake ССТУ.РФ upload endpoint: the contract of ``app.connectors.sstu.outbound``.

It checks the bearer token, takes each appeal document once per ``Idempotency-Key``, refuses
a document the format does not allow (422, as ``WireAppeal`` and ``appeal.schema.json`` say),
keeps the latest document of each appeal per month, and can fail on purpose so the relay's
retries and dead letters are seen (``POST /simulator/control``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.connectors.sstu.document import WireAppeal
from app.connectors.sstu.outbound import MONTH_HEADER, PATH
from app.tools.simulators.common import Control


@dataclass
class SstuInbox:
    """What the hub uploaded: by month, the latest document of each appeal number."""

    token: str | None
    months: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # Idempotency-Key → deliveries
    refused: list[dict[str, Any]] = field(default_factory=list)
    unauthorized: int = 0
    fail_next: int = 0
    fail_status: int = 503
    retry_after: str | None = "1"

    async def accept(self, request: Request) -> Any:
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            self.unauthorized += 1
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        key = request.headers.get("idempotency-key") or ""
        if not key:
            return JSONResponse({"error": "Idempotency-Key is required"}, status_code=400)
        if self.fail_next > 0:
            self.fail_next -= 1
            extra = {"Retry-After": self.retry_after} if self.retry_after else None
            return JSONResponse({"error": "injected"}, status_code=self.fail_status, headers=extra)
        try:
            document = WireAppeal.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [
                {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
            ]
            self.refused.append({"key": key, "errors": errors})
            return JSONResponse({"error": "invalid document", "errors": errors}, status_code=422)
        self.seen[key] = self.seen.get(key, 0) + 1
        month = request.headers.get(MONTH_HEADER.lower()) or "unknown"
        if self.seen[key] == 1:
            stored = document.model_dump(mode="json", exclude_none=True)
            stored["_received_at"] = datetime.now(UTC).isoformat()
            self.months.setdefault(month, {})[document.number] = stored
        return {"accepted": True, "duplicate": self.seen[key] > 1, "number": document.number}

    def control(self, c: Control) -> dict[str, Any]:
        if c.fail_next is not None:
            self.fail_next = c.fail_next
        if c.fail_status is not None:
            self.fail_status = c.fail_status
        if c.retry_after is not None:
            self.retry_after = c.retry_after or None
        return {"fail_next": self.fail_next, "fail_status": self.fail_status}

    def received(self) -> dict[str, Any]:
        return {
            "months": {
                month: sorted(docs.values(), key=lambda d: d["number"])
                for month, docs in self.months.items()
            },
            "deliveries": sum(self.seen.values()),
            "duplicates": sum(n - 1 for n in self.seen.values()),
            "refused": self.refused,
            "unauthorized": self.unauthorized,
        }


def build_app(*, token: str | None) -> tuple[FastAPI, SstuInbox]:
    inbox = SstuInbox(token=token)
    app = FastAPI(title="ССТУ.РФ simulator")

    @app.post(PATH)
    async def appeals(request: Request) -> Any:
        """One appeal's document of a month."""
        return await inbox.accept(request)

    @app.get("/simulator/received")
    async def received() -> dict[str, Any]:
        return inbox.received()

    @app.post("/simulator/control")
    async def control(c: Control) -> dict[str, Any]:
        return inbox.control(c)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app, inbox
