"""Excel exports of ПОС (ЛК ОА) and IM («Детализация») through the intake inbox and pipeline.

The workbook is read with openpyxl in read-only mode, in batches on a worker thread, so 50 000
rows never sit in memory; each batch of rows goes into the intake inbox in one multi-row insert
and is committed, and the intake pipeline (this process too, and every api and worker) makes
the tickets as the file is still being read: one path from receipt to ticket. Columns are found
by their titles, wherever they stand. A bad row is reported with its reason and skipped, and
the import goes on: the connector checks every column it reads (bounds, dates, numbers) before
the row is stored, and a row PostgreSQL still refuses fails alone in the pipeline (a poison
item), reported with the real cause. A re-run finds every item stored: nothing changes. A
corrupt file is refused whole before its first row is read (``workbook_check``), and a header
that repeats a column the rows are read by is refused (which of the two holds the data cannot
be told).
"""

from __future__ import annotations

import asyncio
import struct
import tempfile
import uuid
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
from sqlalchemy import insert, text

from app.connectors import registry
from app.connectors.base import ConnectorPayloadError, ExportFormat
from app.db import Database
from app.errors import ValidationFailed
from app.intake.pipeline import run_batch
from app.intake.receipt import WAKE_PIPELINE
from app.intake.row_codec import encode_row
from app.intake.workbook_check import check_workbook
from app.models.inbound import DeliveryKind, DeliveryOutcome, InboundDelivery

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
    found = _header_sheet(workbook, fmt)
    return None if found is None else found[1:]


def _header_sheet(
    workbook: Any, fmt: ExportFormat
) -> tuple[Any, Iterator[tuple[object, ...]], list[str], int] | None:
    sheets = sorted(workbook.worksheets, key=lambda ws: ws.title != fmt.sheet)
    for sheet in sheets:
        rows = sheet.iter_rows(values_only=True)
        for number, values in enumerate(islice(rows, HEADER_SCAN_ROWS), start=1):
            titles = [str(v).strip() if v is not None else "" for v in values]
            if fmt.key_column in titles:
                return sheet, rows, titles, number
    return None


def rows_below_header(file: IO[bytes], fmt: ExportFormat) -> int | None:
    """The rows under the header of the sheet an import reads (blank ones among them): what a
    progress bar counts to. ``None`` when the file does not say (no header, no dimensions)."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except _UNREADABLE:
        return None
    try:
        found = _header_sheet(workbook, fmt)
        if found is None:
            return None
        sheet, rows, _, header_row = found
        if sheet.max_row is None:  # saved without its size: count the rows (read once more)
            return sum(1 for _ in rows)
        return max(int(sheet.max_row) - header_row, 0)
    except _UNREADABLE:
        return None
    finally:
        workbook.close()


_HEAD = struct.Struct(">III")  # a spooled row: its number, its body's and its item's lengths


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
    a shared string that is not there), naming the row. The checks before reading catch what is
    malformed; this is the backstop for what is merely wrong, found by the first pass over the
    rows (``_Run.read``) before any row is stored."""
    where = "the header rows" if row is None else f"row {row}"
    return ValidationFailed(
        f"the file is corrupt: a cell of {where} cannot be read ({type(exc).__name__}); "
        "nothing was imported — fix the file and import it again",
        field="file",
        cause="corrupt",
        row=row,
    )


async def import_workbook(
    db: Database,
    file: IO[bytes],
    *,
    source: str,
    tz: ZoneInfo,
    now: datetime,
    batch_rows: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read the file through once, then store every row in the intake inbox (a multi-row
    insert per batch, committed as it goes) while the intake pipeline makes the tickets, and
    report each row's outcome once the last one is made. A row whose cells do not parse is
    rejected at once; one the pipeline cannot store is rejected with its cause. ``progress``
    counts rows finished."""
    fmt = export_format(source)
    # An item on several rows: its last row is its state in the file, wherever the batches
    # cut it; the earlier rows are `stale` and not applied (the file imported again then
    # changes nothing). So the rows are read through first, and stored from the spool.
    run = _Run(db, fmt, import_id=str(uuid.uuid4()), tz=tz, now=now, progress=progress)
    with tempfile.TemporaryFile() as spool:
        await asyncio.to_thread(run.read, file, spool)
        storing = asyncio.create_task(run.store(run.spooled(spool), batch_rows))
        try:
            await run.follow(storing)
        finally:
            if not storing.done():
                storing.cancel()
    storing.result()  # what storing raised, once the rows it stored are made
    return await run.report()


class _Run:
    """One import: its rows go into the inbox; the pipeline's outcomes come back per row."""

    def __init__(
        self,
        db: Database,
        fmt: ExportFormat,
        *,
        import_id: str,
        tz: ZoneInfo,
        now: datetime,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.db, self.fmt, self.import_id = db, fmt, import_id
        self.tz, self.now, self.progress = tz, now, progress
        self.rows = 0
        self.rejected: list[dict[str, Any]] = []
        self.shown = 0
        self.last: dict[str, int] = {}  # each item's last row in the file that parses

    def read(self, file: IO[bytes], spool: IO[bytes]) -> None:
        """Read every data row once (a corrupt cell is a 422 before anything is stored): a row
        whose cells do not parse is rejected; the others go to ``spool`` encoded as the inbox
        stores them (a 50 000-row export does not sit in memory), with their item, whose last
        row is noted."""
        for number, row in open_rows(file, self.fmt):
            self.rows += 1
            try:
                draft = self.fmt.parse(row, tz=self.tz, now=self.now)
            except ConnectorPayloadError as exc:
                self.rejected.append({"row": number, "reason": str(exc), "errors": exc.errors})
                continue
            body, item = encode_row(row), draft.source_id.encode()
            spool.write(_HEAD.pack(number, len(body), len(item)) + body + item)
            self.last[draft.source_id] = number
        spool.seek(0)

    def spooled(self, spool: IO[bytes]) -> Iterator[tuple[int, bytes, str]]:
        """(row number, the row as the inbox stores it, its item), in the file's order."""
        while head := spool.read(_HEAD.size):
            number, body_size, item_size = _HEAD.unpack(head)
            yield number, spool.read(body_size), spool.read(item_size).decode()

    async def store(self, rows: Iterator[tuple[int, bytes, str]], batch_rows: int) -> None:
        while batch := await asyncio.to_thread(lambda: list(islice(rows, batch_rows))):
            values = [self._value(*row) for row in batch]
            async with self.db.sessionmaker() as session:
                await session.exec(insert(InboundDelivery), params=values)  # type: ignore[call-overload]
                await session.exec(WAKE_PIPELINE)  # type: ignore[call-overload]
                await session.commit()

    def _value(self, number: int, body: bytes, item: str) -> dict[str, Any]:
        later = self.last[item]
        superseded = later > number  # a later row of the file holds the same item
        return {
            "source": self.fmt.source,
            "kind": DeliveryKind.import_row.value,
            "import_id": self.import_id,
            "row_number": number,
            "source_item_id": item,
            "received_at": self.now,
            "body": body,
            "headers": {},
            "errors": [],
            "outcome": (DeliveryOutcome.stale if superseded else DeliveryOutcome.received).value,
            "error_detail": f"row {later} of the file holds the same item" if superseded else None,
            "processed_at": self.now if superseded else None,
            "attempts": 0,
        }

    async def follow(self, storing: asyncio.Task[None]) -> None:
        """Make tickets (this process is one more pipeline) until every stored row is made."""
        settings = self.db.settings
        while True:
            stored_all = storing.done()  # read first: rows stored after the count are waited for
            taken = await run_batch(self.db, limit=settings.intake_batch_max)
            waiting, finished = await self._counts()
            self._show(finished + len(self.rejected))
            if stored_all and waiting == 0:
                return
            if not taken:  # reading is ahead of us, or another process holds the rest
                await asyncio.sleep(0.02)

    async def _counts(self) -> tuple[int, int]:
        async with self.db.sessionmaker() as session:
            row = (await session.exec(_COUNTS, params={"id": self.import_id})).one()  # type: ignore[call-overload]
        return int(row[0]), int(row[1])

    def _show(self, finished: int) -> None:
        if self.progress is not None and finished > self.shown:
            self.progress(finished - self.shown)
            self.shown = finished

    async def report(self) -> ImportReport:
        report = ImportReport(source=self.fmt.source, rows=self.rows)
        async with self.db.sessionmaker() as session:
            outcomes = await session.exec(_OUTCOMES, params={"id": self.import_id})  # type: ignore[call-overload]
            for number, outcome, detail, errors in outcomes.all():
                if outcome == DeliveryOutcome.invalid:
                    report.rejected.append({"row": number, "reason": detail, "errors": errors})
                else:
                    getattr(report, outcome).append(number)
        report.rejected = sorted([*report.rejected, *self.rejected], key=lambda r: r["row"])
        return report


_COUNTS = text(
    "SELECT count(*) FILTER (WHERE outcome = 'received'), "
    "count(*) FILTER (WHERE outcome <> 'received') "
    "FROM inbound_deliveries WHERE import_id = :id"
)
_OUTCOMES = text(
    "SELECT row_number, outcome, error_detail, errors FROM inbound_deliveries "
    "WHERE import_id = :id ORDER BY row_number"
)
