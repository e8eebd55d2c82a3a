"""Building .xlsx exports like the sources' (columns by the titles in ../shared/samples)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
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


def edit_parts(content: bytes, edit: Callable[[str, bytes], bytes]) -> bytes:
    """The workbook with every part passed through ``edit(name, data)`` (zip rebuilt as is)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, edit(info.filename, source.read(info)))
    return out.getvalue()


_INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is>(<t[^>]*>.*?</t>)</is></c>', re.S)
_SST_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_SST_REL = (
    b'<Relationship Id="rIdShared" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)


def with_shared_strings(content: bytes) -> bytes:
    """The workbook as Excel saves it: texts in xl/sharedStrings.xml, cells refer to them by
    index (openpyxl writes every text inline, in the cell)."""
    texts: list[bytes] = []

    def to_shared(match: re.Match[bytes]) -> bytes:
        texts.append(match.group(3))
        return b'<c %st="s"%s><v>%d</v></c>' % (match.group(1), match.group(2), len(texts) - 1)

    def edit(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/"):
            return _INLINE.sub(to_shared, data)
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", _SST_TYPE + b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", _SST_REL + b"</Relationships>")
        return data

    rebuilt = edit_parts(content, edit)  # fills ``texts`` before the strings part is written
    strings = b"".join(b"<si>%s</si>" % t for t in texts)
    sst = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="%d" uniqueCount="%d">%s</sst>' % (len(texts), len(texts), strings)
    )
    out = io.BytesIO(rebuilt)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", sst, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
