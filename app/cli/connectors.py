"""``appeals import SOURCE FILE`` and ``appeals quarantine list|replay``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from app.cli.root import cli, run_with_db
from app.config import get_settings
from app.db import Database
from app.errors import AppError

T = TypeVar("T")

quarantine_cli = typer.Typer(
    help="Invalid inbound deliveries kept for replay: list, replay.", no_args_is_help=True
)
cli.add_typer(quarantine_cli, name="quarantine")


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run with the database; a domain error is a message and exit code 1, not a traceback."""
    try:
        return run_with_db(work)
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc


def _count_rows(path: Path) -> int | None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
        total = max((ws.max_row or 0) for ws in workbook.worksheets)
        workbook.close()
        return total or None
    except Exception:  # only for the progress bar; the import itself reports real errors
        return None


@cli.command("import")
def import_(
    source: Annotated[str, typer.Argument(help="feedback-platform or incident-management")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Load an .xlsx export (ПОС back office or IM «Детализация»); re-running changes nothing.

    Example: appeals import incident-management ~/Downloads/detalizaciya.xlsx
    """
    from app.intake.imports import export_format, import_workbook

    try:
        export_format(source)
    except AppError as exc:
        raise typer.BadParameter(exc.detail, param_hint="SOURCE") from exc
    settings = get_settings()
    total = _count_rows(file)

    async def work(db: Database) -> dict[str, object]:
        with (
            file.open("rb") as handle,
            typer.progressbar(length=total or 0, label="rows", file=None) as bar,
        ):
            async with db.sessionmaker() as session:
                report = await import_workbook(
                    session,
                    handle,
                    source=source,
                    tz=settings.tz,
                    now=datetime.now(UTC),
                    batch_rows=settings.import_batch_rows,
                    progress=bar.update,
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

    counts = _run(work)
    typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@quarantine_cli.command("list")
def quarantine_list(
    source: Annotated[str | None, typer.Option(help="feedback_platform, …")] = None,
    include_replayed: Annotated[bool, typer.Option(help="Show replayed ones too")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List invalid deliveries newest first: id, source, received, webhook-id, errors.

    Example: appeals quarantine list --source incident_management
    """
    from app.intake.quarantine import list_quarantine

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            rows, _ = await list_quarantine(
                session, source=source, include_replayed=include_replayed, limit=limit
            )
        for r in rows:
            state = f"replayed→{r.ticket_id}" if r.replayed_at else "quarantined"
            typer.echo(
                f"{r.id}\t{r.source}\t{r.received_at.isoformat()}\t{r.webhook_id or '-'}\t"
                f"{state}\t{r.error_detail or ''}"
            )

    _run(work)


@quarantine_cli.command("replay")
def quarantine_replay(
    delivery_id: int,
    body: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="A corrected JSON body")
    ] = None,
) -> None:
    """Parse a quarantined delivery again with today's mapping (or a corrected body) and ingest it.

    Example: appeals quarantine replay 17 --body fixed.json
    """
    from app.intake.quarantine import replay_delivery

    corrected = json.loads(body.read_text(encoding="utf-8")) if body else None

    async def work(db: Database) -> str:
        async with db.sessionmaker() as session:
            row, result = await replay_delivery(
                session,
                delivery_id,
                corrected=corrected,
                settings=get_settings(),
                actor="cli",
                now=datetime.now(UTC),
            )
            await session.commit()
            return f"delivery {row.id}: {result.outcome} ticket {result.ticket.number}"

    typer.echo(_run(work))
