"""``appeals sstu``: the month's ССТУ.РФ report — export it, check it, queue its upload."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.runtime import run_reporting_errors
from app.config import get_settings
from app.db import Database
from app.sstu import upload as sstu_upload
from app.sstu.report import MonthReport, archive, build_month
from app.sstu.rules import parse_month

cli = typer.Typer(no_args_is_help=True)

MonthOption = Annotated[str, typer.Option(help="The month, YYYY-MM (the city's time zone)")]
EXPORT_SUFFIXES = (".zip", ".json")


class _Progress:
    """A stderr progress bar whose length is known only once the month's appeals are read."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = typer.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


async def _month(db: Database, month: str, *, bar: bool) -> MonthReport:
    settings = get_settings()
    parsed = parse_month(month, settings.tz)
    progress = _Progress("reading appeals") if bar else None
    async with db.sessionmaker() as session:
        try:
            return await build_month(
                session, parsed, tz=settings.tz, with_applicants=True, progress=progress
            )
        finally:
            if progress is not None:
                progress.close()


@cli.command()
def export(
    month: MonthOption,
    out: Annotated[
        Path, typer.Option(help="Where to write: a .zip (one JSON per appeal) or a .json file")
    ],
) -> None:
    """Write the month's documents: a zip of one JSON document per appeal, or (for a .json
    path) the documents with the statistics table. The applicant's fields are those the city's
    `sstu.applicant_fields` lists. Progress goes to stderr.

    Example: appeals sstu export --month 2026-11 --out sstu-2026-11.zip
    """
    if out.suffix.lower() not in EXPORT_SUFFIXES:
        typer.echo(
            f"error: --out {out} must end in .zip (one JSON document per appeal) or .json "
            "(the documents and the statistics table); nothing was written",
            err=True,
        )
        raise typer.Exit(2)

    async def work(db: Database) -> MonthReport:
        return await _month(db, month, bar=True)

    report = run_reporting_errors(work)
    if out.suffix.lower() == ".json":
        stats = report.statistics
        body = {
            "month": report.month.label,
            "documents": [e.document for e in report.entries],
            "statistics": {
                "rows": [vars(r) for r in stats.rows],
                "appeals": stats.appeals,
                "questions": stats.questions,
            },
        }
        out.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        with typer.progressbar(
            length=len(report.entries), label="writing documents", file=sys.stderr
        ) as bar:
            out.write_bytes(archive(report, progress=lambda done, _total: bar.update(done)))
    typer.echo(
        f"{len(report.entries)} documents of {report.month.label} written to {out}", err=True
    )
    if report.problems:
        typer.echo(
            f"{len(report.problems)} appeals need attention: appeals sstu check --month {month}",
            err=True,
        )


@cli.command()
def check(month: MonthOption) -> None:
    """List the month's 59-ФЗ appeals that lack a classifier code or (closed) an outcome, with
    links to their console pages; exit 1 when there are any.

    Example: appeals sstu check --month 2026-11
    """

    async def work(db: Database) -> MonthReport:
        return await _month(db, month, bar=False)

    report = run_reporting_errors(work)
    base = (get_settings().public_url or "").rstrip("/")
    for p in report.problems:
        link = f"{base}{p.console}" if p.console else "-"
        typer.echo(f"{p.number or '-'}\t{link}\t" + "; ".join(p.missing))
    typer.echo(
        f"{report.month.label}: {len(report.entries)} documents, "
        f"{len(report.problems)} appeals need attention",
        err=True,
    )
    if report.problems:
        raise typer.Exit(1)


@cli.command()
def upload(month: MonthOption) -> None:
    """Queue the month's documents for ССТУ.РФ (the worker's relay sends them to
    APPEALS_SSTU_URL with retries; dead letters: appeals outbox list --state dead). Refused
    before the month has ended in the city's time zone, and while `appeals sstu check` lists
    appeals. Run again, it queues only the documents changed or new since (late arrivals).

    Example: appeals sstu upload --month 2026-11
    """

    async def work(db: Database) -> sstu_upload.UploadResult:
        settings = get_settings()
        async with db.sessionmaker() as session:
            result = await sstu_upload.queue_month(
                session, parse_month(month, settings.tz), tz=settings.tz, now=datetime.now(UTC)
            )
            await session.commit()
            return result

    result = run_reporting_errors(work)
    typer.echo(
        f"{result.month}: {result.documents} documents, {result.queued} queued "
        f"({result.documents - result.queued} unchanged since their last upload)"
    )
