"""``appeals worker``: the background loops (outbox relay, ПОС poller, SLA sweeper, …)."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.runtime import run_with_db
from app.config import get_settings
from app.db import Database
from app.logging_setup import configure_logging

cli = typer.Typer()


@cli.command()
def worker(
    loop: Annotated[
        list[str] | None, typer.Option(help="Run only this loop (repeatable); default all")
    ] = None,
) -> None:
    """Run every registered background loop until SIGTERM; any number of workers is safe.

    Example: appeals worker            (or: appeals worker --loop outbox_relay)
    """
    # lazy: the loops (httpx clients among them) add 0.3 s to every `appeals` start
    from app.workers.runner import main as run_loops

    settings = get_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)

    async def work(db: Database) -> None:
        await run_loops(db, only=set(loop) if loop else None)

    run_with_db(work)
