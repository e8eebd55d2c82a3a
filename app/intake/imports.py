"""Excel exports of ПОС (ЛК ОА) and IM («Детализация») through the same idempotent ingestion.

The workbook is read with openpyxl in read-only mode, in batches on a worker thread, so 50 000
rows never sit in memory; each batch is committed (a re-run skips what is already stored).
Columns are found by their titles, wherever they stand.
"""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlmodel.ext.asyncio.session import AsyncSession

from app.connectors import registry
from app.connectors.base import ConnectorPayloadError, ExportFormat
from app.errors import AppError, ValidationFailed
from app.intake.inbound import connector_actor
from app.intake.ingestion import ingest_draft

Row = dict[str, object]
HEADER_SCAN_ROWS = 20


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
    """(row number, {title: value}) for every non-blank data row; 422 if columns are missing."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValidationFailed("the upload is not an .xlsx workbook", field="file") from exc
    sheets = sorted(workbook.worksheets, key=lambda ws: ws.title != fmt.sheet)
    for sheet in sheets:
        rows = sheet.iter_rows(values_only=True)
        for number, values in enumerate(islice(rows, HEADER_SCAN_ROWS), start=1):
            titles = [str(v).strip() if v is not None else "" for v in values]
            if fmt.key_column in titles:
                missing = [c for c in fmt.required if c not in titles]
                if missing:
                    workbook.close()
                    raise ValidationFailed(
                        "the export lacks columns: " + ", ".join(missing), field="file"
                    )
                return _data_rows(workbook, rows, titles, first=number + 1)
    workbook.close()
    raise ValidationFailed(f"no sheet has a «{fmt.key_column}» column", field="file")


def _data_rows(
    workbook: Any, rows: Iterator[tuple[object, ...]], titles: list[str], *, first: int
) -> Iterator[tuple[int, Row]]:
    try:
        for number, values in enumerate(rows, start=first):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield number, {t: v for t, v in zip(titles, values, strict=False) if t}
    finally:
        workbook.close()


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
            try:
                draft = fmt.parse(row, tz=tz)
            except ConnectorPayloadError as exc:
                report.rejected.append({"row": number, "reason": str(exc), "errors": exc.errors})
                continue
            try:
                async with session.begin_nested():
                    result = await ingest_draft(session, draft, actor=actor, now=now)
            except AppError as exc:
                report.rejected.append({"row": number, "reason": exc.detail, "errors": []})
                continue
            getattr(report, result.outcome).append(number)
        await session.commit()
        if progress is not None:
            progress(len(batch))
    return report
