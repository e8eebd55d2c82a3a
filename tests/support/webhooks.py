"""Signing test deliveries the way the sources do (Standard Webhooks)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.connectors.base import signed_headers

# Copies of ../shared/samples, kept in the repository so a fresh clone is self-contained.
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"

OLD_SECRET = "whsec_" + base64.b64encode(b"old-secret-for-tests-0123456789ab").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"new-secret-for-tests-0123456789ab").decode()
SECRETS = f"{NEW_SECRET},{OLD_SECRET}"


def sample(name: str) -> dict[str, Any]:
    """A sample payload from ../shared/samples (a fresh copy to modify)."""
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def signed(
    body: bytes,
    *,
    secret: str = NEW_SECRET,
    msg_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, str]:
    headers = signed_headers(
        secret,
        msg_id=msg_id or f"msg_{uuid.uuid4().hex}",
        timestamp=at or datetime.now(UTC),
        body=body,
    )
    headers["content-type"] = "application/json"
    return headers


def webhook_settings(**overrides: Any) -> Any:
    """Settings with both sources' secrets (new and old, as during a rotation)."""
    from app.config import Settings

    values: dict[str, Any] = {
        "feedback_platform_webhook_secrets": SECRETS,
        "incident_management_webhook_secrets": SECRETS,
    }
    values.update(overrides)
    return Settings(**values)


PROBLEM = "application/problem+json"
POS_URL = "/api/v1/webhooks/feedback-platform"
IM_URL = "/api/v1/webhooks/incident-management"


def start_webhook_api(database_url: str, log_dir: Path) -> Any:
    """A real uvicorn process with both sources' secrets configured; (process, base URL)."""
    import sys

    from tests.support.servers import Process, app_env, free_port, wait_http

    port = free_port()
    env = app_env(
        database_url,
        APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS=SECRETS,
        APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS=SECRETS,
    )
    args = [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1"]
    args += ["--port", str(port), "--log-level", "warning"]
    proc = Process(args, env, log_dir / f"api-{port}.log")
    base = f"http://127.0.0.1:{port}"
    try:
        # A loaded CI machine may need a while to import the app.
        wait_http(base + "/healthz", timeout=90, proc=proc)
    except BaseException:
        proc.stop()
        raise
    return proc, base
