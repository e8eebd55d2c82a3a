"""``appeals import SOURCE FILE``: load a source's .xlsx export."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.runtime import run_reporting_errors
from app.config import get_settings
from app.db import Database
from app.errors import AppError

cli = typer.Typer()


class _Bar:
    """The import's progress bar on a terminal's stderr: rows finished, out of the rows under
    the sheet's header; filled when the last ticket is made (blank rows are never finished)."""

    def __init__(self, bar: Any) -> None:  # click's ProgressBar
        self.bar = bar

    def update(self, rows: int) -> None:
        self.bar.update(rows)

    def fill(self) -> None:
        if self.bar.length is not None and self.bar.pos < self.bar.length:
            self.bar.update(self.bar.length - self.bar.pos)


@contextmanager
def _progress(path: Path, source: str) -> Iterator[_Bar | None]:
    """A progress bar on stderr, and only on a terminal: stdout holds the summary line alone,
    and a pipe or a log gets no bar (not even its label)."""
    if not sys.stderr.isatty():
        yield None
        return
    from app.intake.imports import export_format, rows_below_header

    with path.open("rb") as handle:
        total = rows_below_header(handle, export_format(source))
    with typer.progressbar(length=total or 0, label="rows", file=sys.stderr) as bar:
        yield _Bar(bar)


@cli.command("import")
def import_(
    source: Annotated[str, typer.Argument(help="feedback-platform or incident-management")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Load an .xlsx export (ПОС back office or IM «Детализация»); re-running changes nothing.

    Example: appeals import incident-management ~/Downloads/detalizaciya.xlsx
    """
    # lazy: openpyxl and the intake chain (shapely) add 0.6 s to every `appeals` start
    from app.intake.imports import export_format, import_workbook

    try:
        export_format(source)
    except AppError as exc:
        raise typer.BadParameter(exc.detail, param_hint="SOURCE") from exc
    settings = get_settings()

    async def work(db: Database) -> dict[str, object]:
        with file.open("rb") as handle, _progress(file, source) as progress:
            report = await import_workbook(
                db,
                handle,
                source=source,
                tz=settings.tz,
                now=datetime.now(UTC),
                batch_rows=settings.import_batch_rows,
                progress=None if progress is None else progress.update,
            )
            if progress is not None:
                progress.fill()
        for item in report.rejected:
            typer.echo(f"row {item['row']}: {item['reason']}", err=True)
        return {
            "rows": report.rows,
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "stale": len(report.stale),
            "rejected": len(report.rejected),
        }

    counts = run_reporting_errors(work)
    typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
