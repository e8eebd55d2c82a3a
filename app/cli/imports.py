"""``appeals import SOURCE FILE``: load a source's .xlsx export."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli.runtime import run_reporting_errors
from app.config import get_settings
from app.db import Database
from app.errors import AppError

cli = typer.Typer()


def _count_rows(path: Path) -> int | None:
    from openpyxl import load_workbook  # lazy: openpyxl adds 0.2 s to every `appeals` start

    try:
        workbook = load_workbook(path, read_only=True)
        total = max((ws.max_row or 0) for ws in workbook.worksheets)
        workbook.close()
        return total or None
    except Exception:  # only for the progress bar; the import itself reports real errors
        return None


@contextmanager
def _progress(path: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr, and only on a terminal: stdout holds the summary line alone,
    and a pipe or a log gets no bar (not even its label)."""
    if not sys.stderr.isatty():
        yield None
        return
    with typer.progressbar(length=_count_rows(path) or 0, label="rows", file=sys.stderr) as bar:
        yield bar.update


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
        with file.open("rb") as handle, _progress(file) as progress:
            report = await import_workbook(
                db,
                handle,
                source=source,
                tz=settings.tz,
                now=datetime.now(UTC),
                batch_rows=settings.import_batch_rows,
                progress=progress,
            )
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
