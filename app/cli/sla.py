"""``appeals sla-sweep``: one SLA sweep by hand (the worker runs it on a timer)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from app.cli.runtime import run_with_db
from app.db import Database
from app.sla.sweeper import sweep

cli = typer.Typer()


@cli.command("sla-sweep")
def sla_sweep() -> None:
    """Mark at-risk and breached tickets now and print what was marked.

    Example: appeals sla-sweep
    """

    async def work(db: Database) -> str:
        result = await sweep(db, datetime.now(UTC))
        marks = ", ".join(f"{k}: {v}" for k, v in sorted(result.marks.items()))
        return f"looked at {result.picked} tickets; marks: {marks or 'none'}"

    typer.echo(run_with_db(work))
