"""The configuration reference, generated from ``Settings`` so the docs cannot drift.

``python -m app.tools.config_doc README.md docs/CONFIGURATION.md`` rewrites the table between the
``<!-- settings:begin -->`` and ``<!-- settings:end -->`` markers of each file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic_core import PydanticUndefined

from app.config import Settings

BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def _default(field_name: str) -> str:
    field = Settings.model_fields[field_name]
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    if value in (None, [], ""):
        return "—"
    return f"`{value}`"


def settings_table() -> str:
    """A markdown table: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        text = (field.description or "").replace("|", "\\|")
        rows.append(f"| `APPEALS_{name.upper()}` | {_default(name)} | {text} |")
    return "\n".join(rows)


def rewrite(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + settings_table() + "\n" + text[end:]


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        path = Path(arg)
        path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"updated {path}")
