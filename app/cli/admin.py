"""``appeals purge`` (personal-data retention) and ``appeals export`` (CSV of tickets)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer

from app.access.retention import count_purgeable, purge_batch
from app.cli.runtime import run_with_db
from app.config import get_settings
from app.db import Database
from app.models.common import Kind, Priority, Source, Status
from app.tickets.export import EXPORTER, write_csv
from app.tickets.queries import TicketFilters, count_tickets

cli = typer.Typer()


@cli.command()
def purge(
    days: Annotated[
        int | None,
        typer.Option(
            min=0, help="Days after closure [default: APPEALS_PERSONAL_DATA_RETENTION_DAYS]"
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be purged")] = False,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Tickets per transaction")] = 500,
) -> None:
    """Clear applicants' personal data N days after their ticket closed (152-ФЗ).

    The ticket, its timeline and every statistic stay; names, phones, e-mails, addresses and
    ЕСИА ids of the applicant go, phones and e-mails inside the appeal text are replaced, and
    the raw deliveries lose their applicant/author objects. Safe to run from cron on any number
    of hosts at once (rows are locked, concurrent runs skip each other).

    Example: appeals purge --dry-run      (then: appeals purge --days 1825)
    """
    retention = get_settings().personal_data_retention_days if days is None else days

    async def work(db: Database) -> tuple[int, int, int]:
        now = datetime.now(UTC)
        async with db.sessionmaker() as session:
            due = await count_purgeable(session, retention_days=retention, now=now)
        if dry_run or due == 0:
            return due, 0, 0
        tickets = deliveries = 0
        with typer.progressbar(length=due, label="purging", file=sys.stderr) as bar:
            while True:
                async with db.sessionmaker() as session:
                    report = await purge_batch(
                        session, retention_days=retention, now=now, limit=batch, actor="cli:purge"
                    )
                    await session.commit()
                if report.tickets == 0:
                    break
                tickets, deliveries = tickets + report.tickets, deliveries + report.deliveries
                bar.update(report.tickets)
        return due, tickets, deliveries

    due, tickets, deliveries = run_with_db(work)
    if dry_run:
        typer.echo(f"{due} tickets closed more than {retention} days ago hold personal data")
    else:
        typer.echo(f"purged personal data of {tickets} tickets ({deliveries} raw deliveries)")


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=get_settings().tz)  # a bare date is the city's local day


@cli.command()
def export(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="CSV file to write; '-' is standard output")
    ] = Path("-"),
    status: Annotated[list[Status] | None, typer.Option(help="Repeatable")] = None,
    department: Annotated[str | None, typer.Option(help="Department code")] = None,
    category: Annotated[str | None, typer.Option(help="Normalised category code")] = None,
    source: Annotated[Source | None, typer.Option()] = None,
    kind: Annotated[Kind | None, typer.Option()] = None,
    priority: Annotated[Priority | None, typer.Option()] = None,
    district: Annotated[str | None, typer.Option(help="District code")] = None,
    created_from: Annotated[
        datetime | None, typer.Option(help="Inclusive; a bare date is the city's local midnight")
    ] = None,
    created_to: Annotated[datetime | None, typer.Option(help="Exclusive")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue")] = None,
    at_risk: Annotated[
        bool | None, typer.Option("--at-risk/--not-at-risk", help="Used 75 % of the deadline")
    ] = None,
    q: Annotated[str | None, typer.Option(help="Full-text search (Russian morphology)")] = None,
    personal_data: Annotated[
        bool, typer.Option(help="Add the applicant's name, e-mail and phone columns")
    ] = False,
) -> None:
    """Export tickets matching the filters as CSV (UTF-8, one row per ticket).

    Personal data is left out unless --personal-data is given.

    Example: appeals export --status closed --department zhkh --created-from 2026-01-01 -o q1.csv
    """
    filters = TicketFilters(
        status=[s.value for s in status or []],
        department=department,
        category=category,
        source=source.value if source else None,
        kind=kind.value if kind else None,
        priority=priority.value if priority else None,
        district=district,
        created_from=_aware(created_from),
        created_to=_aware(created_to),
        overdue=overdue,
        at_risk=at_risk,
        q=q,
    )

    written = run_with_db(
        lambda db: _write_export(db, output, filters=filters, personal_data=personal_data)
    )
    typer.echo(f"exported {written} tickets", err=True)


async def _write_export(
    db: Database, output: Path, *, filters: TicketFilters, personal_data: bool
) -> int:
    """Write the matching tickets as CSV to ``output`` ('-': standard output), with a progress
    bar on standard error; the number written."""
    now = datetime.now(UTC)
    async with db.sessionmaker() as session:
        total = await count_tickets(session, principal=EXPORTER, filters=filters, now=now)
        with ExitStack() as stack:
            out: TextIO = (
                sys.stdout
                if str(output) == "-"
                else stack.enter_context(output.open("w", encoding="utf-8", newline=""))
            )
            bar = stack.enter_context(
                typer.progressbar(length=total, label="exporting", file=sys.stderr)
            )
            return await write_csv(
                session,
                out,
                filters=filters,
                now=now,
                personal_data=personal_data,
                progress=bar.update,
            )
