"""``appeals migrate`` and ``appeals load-config``: the schema and the city's configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cli.runtime import database_url, run_with_db
from app.db import Database
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config
from app.sstu.classifier import apply_classifier, is_classifier_file, read_classifier

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
    """Apply a city configuration YAML idempotently, or an edition of the ССТУ.РФ classifier
    (a file whose top level is `classifier:`).

    Example: appeals load-config config/city.example.yaml
    """
    from app.migrate import upgrade  # lazy: alembic adds 0.2 s to every `appeals` start

    if is_classifier_file(path):
        edition = read_classifier(path)

        async def apply(session: AsyncSession) -> dict[str, int]:
            return await apply_classifier(session, edition)
    else:
        config = read_city_config(path)

        async def apply(session: AsyncSession) -> dict[str, int]:
            return await apply_city_config(session, config)

    upgrade(database_url())

    async def work(db: Database) -> dict[str, int]:
        async with db.sessionmaker() as session:
            counts = await apply(session)
            await session.commit()
            return counts

    counts = run_with_db(work)
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to change")
