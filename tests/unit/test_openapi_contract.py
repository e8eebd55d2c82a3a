"""The published contract openapi/openapi.json matches the app (run `make openapi`)."""

import json
from pathlib import Path

from app.tools.openapi_export import openapi_document, render

PUBLISHED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_published_contract_matches_app() -> None:
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    current = json.loads(render())
    assert published == current, "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_documents_problem_responses() -> None:
    doc = openapi_document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path in ("/healthz", "/readyz", "/metrics") or not path.startswith("/api/"):
                continue
            codes = set(op["responses"])
            assert codes & {"401", "422", "404"}, f"{method.upper()} {path} documents no errors"
