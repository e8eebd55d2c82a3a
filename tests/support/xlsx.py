"""Building .xlsx exports like the sources' (columns by the titles in ../shared/samples)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def header(name: str) -> list[str]:
    """The column titles of a sample export header (``pos`` or ``im``)."""
    return (SAMPLES / f"{name}_export_header.csv").read_text(encoding="utf-8").strip().split(";")


def workbook_bytes(
    sheets: Sequence[tuple[str, Sequence[str], Sequence[dict[str, object]]]],
    *,
    title_rows: int = 0,
) -> bytes:
    """One workbook: (sheet title, column titles, rows as {title: value}) per sheet."""
    book = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title)
        for n in range(title_rows):
            sheet.append([f"Выгрузка, строка заголовка {n + 1}"])
        sheet.append(list(columns))
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
