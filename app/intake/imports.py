"""Excel exports of ПОС (ЛК ОА) and IM («Детализация») through the same idempotent ingestion.

The workbook is read with openpyxl in read-only mode, in batches on a worker thread, so 50 000
rows never sit in memory; each batch is committed (a re-run skips what is already stored).
Columns are found by their titles, wherever they stand. A bad row is reported with its reason
and skipped, and the import goes on: the connector checks every column it reads (bounds, dates,
numbers), and each row is stored in its own savepoint, so a value PostgreSQL still refuses
costs that row only, reported with the real cause. A corrupt file is refused whole before its
first row is read (``workbook_check``), and a header that repeats a column the rows are read by
is refused (which of the two holds the data cannot be told).
"""

from __future__ import annotations

import asyncio
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.connectors import registry
from app.connectors.base import ConnectorPayloadError, ExportFormat
from app.data_errors import data_error_cause
from app.errors import AppError, ValidationFailed
from app.intake.inbound import connector_actor
from app.intake.ingestion import ingest_draft
from app.intake.workbook_check import check_workbook

Row = dict[str, object]
HEADER_SCAN_ROWS = 20
# What openpyxl raises on a file it cannot read: a damaged zip, XML it cannot parse, a cell or
# an attribute whose value does not convert.
_UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OverflowError,
    ParseError,
)


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def export_format(source: str) -> ExportFormat:
    """The source's export format (its columns are the connector's); unknown → 404."""
    return registry.export_format(source)


def open_rows(file: IO[bytes], fmt: ExportFormat) -> Iterator[tuple[int, Row]]:
    """(row number, {title: value}) for every non-blank data row; 422 if the file is corrupt
    (checked whole before any row is read) or its header lacks or repeats columns."""
    check_workbook(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except _UNREADABLE as exc:
        raise ValidationFailed(
            f"the upload is not an .xlsx workbook openpyxl can read ({type(exc).__name__})",
            field="file",
        ) from exc
    try:
        found = _find_header(workbook, fmt)
    except _UNREADABLE as exc:
        workbook.close()
        raise _unreadable(exc, row=None) from exc
    if found is None:
        workbook.close()
        raise ValidationFailed(f"no sheet has a «{fmt.key_column}» column", field="file")
    rows, titles, number = found
    try:
        _check_header(titles, fmt)
    except ValidationFailed:
        workbook.close()
        raise
    return _data_rows(workbook, rows, titles, first=number + 1)


def _find_header(
    workbook: Any, fmt: ExportFormat
) -> tuple[Iterator[tuple[object, ...]], list[str], int] | None:
    """The first sheet (the format's own first) with the key column on one of its first rows:
    its row iterator, the titles and the header's row number."""
    sheets = sorted(workbook.worksheets, key=lambda ws: ws.title != fmt.sheet)
    for sheet in sheets:
        rows = sheet.iter_rows(values_only=True)
        for number, values in enumerate(islice(rows, HEADER_SCAN_ROWS), start=1):
            titles = [str(v).strip() if v is not None else "" for v in values]
            if fmt.key_column in titles:
                return rows, titles, number
    return None


def _check_header(titles: list[str], fmt: ExportFormat) -> None:
    """422 when a column the rows need is missing, or one the parser reads is there twice
    (which of the two holds the data cannot be told; the last used to win silently)."""
    for title in dict.fromkeys(fmt.columns or fmt.required):
        places = [get_column_letter(i + 1) for i, t in enumerate(titles) if t == title]
        if len(places) > 1:
            raise ValidationFailed(
                f"the header has the column «{title}» {len(places)} times "
                f"(columns {', '.join(places)}); keep one",
                field="file",
                column=title,
            )
    missing = [c for c in fmt.required if c not in titles]
    if missing:
        raise ValidationFailed("the export lacks columns: " + ", ".join(missing), field="file")


def _data_rows(
    workbook: Any, rows: Iterator[tuple[object, ...]], titles: list[str], *, first: int
) -> Iterator[tuple[int, Row]]:
    number = first - 1
    try:
        for number, values in enumerate(rows, start=first):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield number, {t: v for t, v in zip(titles, values, strict=False) if t}
    except _UNREADABLE as exc:
        raise _unreadable(exc, row=number + 1) from exc
    finally:
        workbook.close()


def _unreadable(exc: BaseException, *, row: int | None) -> ValidationFailed:
    """A cell openpyxl cannot read though its XML is well-formed (a number cell holding letters,
    a shared string that is not there): the import stops at it, naming the row. The checks
    before reading catch what is malformed; this is the backstop for what is merely wrong."""
    if row is None:
        where, after = "the header rows", "nothing was imported"
    else:
        where = f"row {row}"
        after = (
            "the import stopped there, rows before it were imported — fix the file and import "
            "it again (what is stored is skipped)"
        )
    return ValidationFailed(
        f"the file is corrupt: a cell of {where} cannot be read ({type(exc).__name__}); {after}",
        field="file",
        cause="corrupt",
        row=row,
    )


async def import_workbook(
    session: AsyncSession,
    file: IO[bytes],
    *,
    source: str,
    tz: ZoneInfo,
    now: datetime,
    batch_rows: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Ingest every row; commits per batch. Bad rows are reported, never fatal."""
    fmt = export_format(source)
    rows = await asyncio.to_thread(open_rows, file, fmt)
    report = ImportReport(source=fmt.source)
    actor = connector_actor(fmt.source)
    while batch := await asyncio.to_thread(lambda: list(islice(rows, batch_rows))):
        for number, row in batch:
            report.rows += 1
            await _import_row(session, fmt, number, row, report, tz=tz, now=now, actor=actor)
        await session.commit()
        if progress is not None:
            progress(len(batch))
    return report


async def _import_row(
    session: AsyncSession,
    fmt: ExportFormat,
    number: int,
    row: Row,
    report: ImportReport,
    *,
    tz: ZoneInfo,
    now: datetime,
    actor: str,
) -> None:
    """Ingest one row in its own savepoint, or add it to the report's rejected rows."""
    try:
        draft = fmt.parse(row, tz=tz, now=now)
    except ConnectorPayloadError as exc:
        report.rejected.append({"row": number, "reason": str(exc), "errors": exc.errors})
        return
    try:
        async with session.begin_nested():
            result = await ingest_draft(session, draft, actor=actor, now=now)
    except AppError as exc:
        report.rejected.append({"row": number, "reason": exc.detail, "errors": []})
        return
    except DBAPIError as exc:
        cause = data_error_cause(exc)
        if cause is None:
            raise
        error = {"field": "row", "message": cause, "type": "storage"}
        report.rejected.append({"row": number, "reason": cause, "errors": [error]})
        return
    getattr(report, result.outcome).append(number)
