"""``appeals quarantine list|replay``: invalid inbound deliveries, kept for a replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli.runtime import run_reporting_errors
from app.config import get_settings
from app.db import Database

cli = typer.Typer(
    help="Invalid inbound deliveries kept for replay: list, replay.", no_args_is_help=True
)


@cli.command("list")
def quarantine_list(
    source: Annotated[str | None, typer.Option(help="feedback_platform, …")] = None,
    include_replayed: Annotated[bool, typer.Option(help="Show replayed ones too")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List invalid deliveries newest first: id, source, received, webhook-id, errors.

    Example: appeals quarantine list --source incident_management
    """
    # lazy (both commands): the intake chain loads shapely, 0.3 s on every `appeals` start
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

    run_reporting_errors(work)


@cli.command("replay")
def quarantine_replay(
    delivery_id: int,
    body: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="A corrected JSON body")
    ] = None,
) -> None:
    """Parse a quarantined delivery again with today's mapping (or a corrected body) and ingest it.

    Example: appeals quarantine replay 17 --body fixed.json
    """
    from app.intake.quarantine import replay_delivery  # lazy: see quarantine_list

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

    typer.echo(run_reporting_errors(work))
