"""``appeals migrate`` and ``appeals load-config``: the schema and the city's configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.runtime import database_url, run_with_db
from app.db import Database
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config

cli = typer.Typer()


@cli.command()
def migrate() -> None:
    """Apply every pending migration (alembic upgrade heads).

    Example: APPEALS_DATABASE_URL=postgresql+asyncpg://app@db/appeals appeals migrate
    """
    from app.migrate import upgrade  # lazy: alembic adds 0.2 s to every `appeals` start

    upgrade(database_url())
    typer.echo("migrations at head")


@cli.command("load-config")
def load_config(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Apply a city configuration YAML idempotently.

    Example: appeals load-config config/city.example.yaml
    """
    from app.migrate import upgrade  # lazy: alembic adds 0.2 s to every `appeals` start

    config = read_city_config(path)
    upgrade(database_url())

    async def work(db: Database) -> dict[str, int]:
        async with db.sessionmaker() as session:
            counts = await apply_city_config(session, config)
            await session.commit()
            return counts

    counts = run_with_db(work)
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to change")
