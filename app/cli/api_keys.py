"""``appeals api-keys create|list|revoke``: keys for integrations and scripts."""

from __future__ import annotations

from typing import Annotated

import typer

from app.access.api_keys import create_api_key, list_api_keys, revoke_api_key
from app.cli.runtime import run_with_db
from app.db import Database
from app.models.common import Role

cli = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@cli.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="operator, manager, admin or integration")],
    department: Annotated[
        str | None,
        typer.Option(
            help="Department code: required except for admin (an integration key carries it "
            "only as a label: it reads no tickets)"
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="Who the key is for")] = "",
) -> None:
    """Create a key and print it once, as the last line.

    Example: appeals api-keys create --department zhkh --role operator --name "Иванова"
    """

    async def work(db: Database) -> str:
        async with db.sessionmaker() as session:
            key, token = await create_api_key(
                session, role=role, department_code=department, name=name
            )
            await session.commit()
            typer.echo(f"created key {key.prefix} (id {key.id}, role {role.value})", err=True)
            return token

    typer.echo(run_with_db(work))


@cli.command("list")
def keys_list() -> None:
    """List keys (prefix, role, department; never the key itself).

    Example: appeals api-keys list
    """

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            for k in await list_api_keys(session):
                state = "revoked" if k.revoked_at else "active"
                typer.echo(
                    f"{k.id}\t{k.prefix}\t{k.role}\t{k.department_code or '-'}\t{state}\t{k.name}"
                )

    run_with_db(work)


@cli.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke a key by id; it stops working at once.

    Example: appeals api-keys revoke 7
    """

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            await revoke_api_key(session, key_id=key_id)
            await session.commit()

    run_with_db(work)
    typer.echo(f"revoked key {key_id}")
