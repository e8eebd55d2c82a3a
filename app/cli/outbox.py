"""``appeals outbox list|replay``: dead letters and replay from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from app.cli.runtime import run_with_db
from app.db import Database
from app.errors import AppError
from app.models.outbox import OutboxState
from app.outbox import service as outbox

cli = typer.Typer(help="Messages to the sources: list, replay.", no_args_is_help=True)


@cli.command("list")
def list_messages(
    state: Annotated[
        OutboxState | None, typer.Option(help="pending, sending, sent or dead")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List messages newest first: id, state, target, kind, attempts, ticket, last error.

    Example: appeals outbox list --state dead
    """

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            rows, _ = await outbox.list_messages(
                session,
                state=state.value if state else None,
                target=None,
                ticket_id=None,
                limit=limit,
                cursor=None,
            )
        for m in rows:
            typer.echo(
                f"{m.id}\t{m.state}\t{m.target}\t{m.kind}\tattempts={m.attempts}\t"
                f"ticket={m.ticket_id or '-'}\t{m.last_error or ''}"
            )

    run_with_db(work)


@cli.command("replay")
def replay(message_id: int) -> None:
    """Send a dead message again (same idempotency id, a fresh attempt budget).

    Example: appeals outbox replay 42
    """

    async def work(db: Database) -> str:
        async with db.sessionmaker() as session:
            message = await outbox.replay(
                session, message_id, actor="cli:outbox", now=datetime.now(UTC)
            )
            await session.commit()
            return message.state

    try:
        state = run_with_db(work)
    except AppError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"message {message_id} is {state} again")
