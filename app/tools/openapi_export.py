"""Export the OpenAPI contract: ``python -m app.tools.openapi_export openapi/openapi.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from app.main import create_app


def openapi_document() -> dict[str, Any]:
    return create_app().openapi()


def render() -> str:
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "openapi/openapi.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
