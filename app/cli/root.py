"""The ``appeals`` command line: serve, worker, migrate, load-config, api-keys, demo, …"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from app.config import get_settings
from app.db import Database, resolve_database_url
from app.models.common import Role

T = TypeVar("T")

cli = typer.Typer(
    help="The appeals hub: one place for every citizen appeal of the city.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
keys_cli = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
cli.add_typer(keys_cli, name="api-keys")


def database_url() -> str:
    """The configured URL; starts the embedded PostgreSQL when none is configured."""
    url = resolve_database_url(get_settings())
    os.environ["APPEALS_DATABASE_URL"] = url  # child processes share the same server
    get_settings.cache_clear()
    return url


def run_with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` with a migrated database, then dispose of the engine."""

    async def _main() -> T:
        db = Database(database_url(), get_settings())
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(_main())


@cli.command()
def migrate() -> None:
    """Apply every pending migration (alembic upgrade heads).

    Example: APPEALS_DATABASE_URL=postgresql+asyncpg://app@db/appeals appeals migrate
    """
    from app.migrate import upgrade

    upgrade(database_url())
    typer.echo("migrations at head")


@cli.command("load-config")
def load_config(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Apply a city configuration YAML idempotently.

    Example: appeals load-config config/city.example.yaml
    """
    from app.directory.city_config import apply_city_config, read_city_config
    from app.migrate import upgrade

    config = read_city_config(path)
    upgrade(database_url())

    async def work(db: Database) -> dict[str, int]:
        async with db.sessionmaker() as session:
            counts = await apply_city_config(session, config)
            await session.commit()
            return counts

    counts = run_with_db(work)
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to change")


@keys_cli.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="operator, manager, admin or integration")],
    department: Annotated[str | None, typer.Option(help="Department code (not for admin)")] = None,
    name: Annotated[str, typer.Option(help="Who the key is for")] = "",
) -> None:
    """Create a key and print it once, as the last line.

    Example: appeals api-keys create --department zhkh --role operator --name "Иванова"
    """
    from app.access.api_keys import create_api_key

    async def work(db: Database) -> str:
        async with db.sessionmaker() as session:
            key, token = await create_api_key(
                session, role=role, department_code=department, name=name
            )
            await session.commit()
            typer.echo(f"created key {key.prefix} (id {key.id}, role {role.value})", err=True)
            return token

    typer.echo(run_with_db(work))


@keys_cli.command("list")
def keys_list() -> None:
    """List keys (prefix, role, department; never the key itself).

    Example: appeals api-keys list
    """
    from app.access.api_keys import list_api_keys

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            for k in await list_api_keys(session):
                state = "revoked" if k.revoked_at else "active"
                typer.echo(
                    f"{k.id}\t{k.prefix}\t{k.role}\t{k.department_code or '-'}\t{state}\t{k.name}"
                )

    run_with_db(work)


@keys_cli.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke a key by id; it stops working at once.

    Example: appeals api-keys revoke 7
    """
    from app.access.api_keys import revoke_api_key

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            await revoke_api_key(session, key_id=key_id)
            await session.commit()

    run_with_db(work)
    typer.echo(f"revoked key {key_id}")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[
        int | None, typer.Option(help="uvicorn processes [default: APPEALS_WEB_CONCURRENCY]")
    ] = None,
) -> None:
    """Serve the HTTP API with uvicorn (SIGTERM: finish requests in flight, then stop).

    Example: appeals serve --host 0.0.0.0 --port 8000 --workers 2
    """
    import uvicorn

    from app.migrate import upgrade

    url = database_url()
    if get_settings().migrate_on_start:
        upgrade(url)
    os.environ["APPEALS_MIGRATE_ON_START"] = "false"  # done once here, not in every worker
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers or get_settings().web_concurrency,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )


# Modules whose subcommands register themselves on ``cli`` when imported.
COMMAND_MODULES = (
    "app.cli.admin",
    "app.cli.connectors",
    "app.cli.demo",
    "app.cli.outbox",
    "app.cli.routing",
    "app.cli.simulate",
    "app.cli.sla",
    "app.cli.users",
    "app.cli.worker",
)


def load_commands() -> None:
    """Import every module of ``COMMAND_MODULES`` (main() and the CLI docs do)."""
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name)


def main() -> None:
    load_commands()
    from pydantic import ValidationError

    from app.errors import AppError

    try:
        cli(standalone_mode=True)
    except AppError as exc:
        # A client-style error (bad input, unknown department…): one clear line, exit 1.
        typer.echo(f"error: {exc.detail}", err=True)
        raise SystemExit(1) from None
    except ValidationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
