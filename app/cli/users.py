"""``appeals users``: console accounts for people (create, list, disable, enable, password)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from app.cli.runtime import run_reporting_errors, run_with_db
from app.db import Database
from app.models.common import Role

cli = typer.Typer(
    help="Console accounts: create, list, disable, set a password.", no_args_is_help=True
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@cli.command("create")
def create(
    login: Annotated[str, typer.Option(help="Sign-in name (a-z 0-9 . _ -)")],
    role: Annotated[Role, typer.Option(help="operator, manager or admin")],
    department: Annotated[
        str | None, typer.Option(help="Department code (not needed for admin)")
    ] = None,
    name: Annotated[str, typer.Option(help="Full name shown in the console")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Create a console user; the password is prompted (or read from stdin), hashed with argon2.

    Example: appeals users create --login ivanova --department zhkh --role operator
    """
    # lazy (all four commands): app.access.users computes an argon2 hash on import, 0.2 s
    from app.access.users import create_user

    password = _read_password(password_stdin)

    async def work(db: Database) -> tuple[int, str]:
        async with db.sessionmaker() as session:
            user = await create_user(
                session,
                login=login,
                password=password,
                role=role,
                department_code=department,
                name=name,
            )
            await session.commit()
            assert user.id is not None
            return user.id, user.login

    user_id, stored = run_with_db(work)
    typer.echo(f"created user {stored} (id {user_id}, {role.value}, {department or 'all'})")


@cli.command("list")
def list_() -> None:
    """Every console user: login, role, department, state.

    Example: appeals users list
    """
    from app.access.users import list_users  # lazy: see create

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            for u in await list_users(session):
                state = "disabled" if u.disabled_at else "active"
                typer.echo(f"{u.login}\t{u.role}\t{u.department_code or '-'}\t{state}")

    run_with_db(work)


def _set(login: str, disabled: bool) -> None:
    from app.access.users import set_disabled  # lazy: see create

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            await set_disabled(session, login=login, disabled=disabled, now=datetime.now(UTC))
            await session.commit()

    run_with_db(work)
    typer.echo(f"{login}: {'disabled' if disabled else 'enabled'}")


@cli.command("disable")
def disable(login: Annotated[str, typer.Option(help="The user's login")]) -> None:
    """Disable a user: every console session of theirs ends at once.

    Example: appeals users disable --login ivanova
    """
    _set(login, True)


@cli.command("enable")
def enable(login: Annotated[str, typer.Option(help="The user's login")]) -> None:
    """Enable a user again (also clears a lockout).

    Example: appeals users enable --login ivanova
    """
    _set(login, False)


@cli.command("set-password")
def set_password(
    login: Annotated[str, typer.Option(help="The user's login")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Give a user a new password (prompted, or read from stdin); every console session of
    theirs ends at once, and a lockout is cleared.

    Example: appeals users set-password --login ivanova
    """
    from app.access.users import set_password as store_password  # lazy: see create

    password = _read_password(password_stdin)

    async def work(db: Database) -> None:
        async with db.sessionmaker() as session:
            await store_password(session, login=login, password=password)
            await session.commit()

    run_reporting_errors(work)
    typer.echo(f"{login}: new password set; their sessions have ended")
