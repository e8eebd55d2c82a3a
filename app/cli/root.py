"""The ``appeals`` command line: the root app, with every command group added to it here.

Each module of ``app.cli`` holds one group as its own ``typer.Typer`` named ``cli``. Groups
added without a name put their commands at the top level (``appeals serve``, ``appeals purge``);
the order below is the order ``appeals --help`` lists them in.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from app.cli import (
    admin,
    api_keys,
    database,
    demo,
    imports,
    outbox,
    quarantine,
    routing,
    serve,
    simulate,
    sla,
    sstu,
    users,
    worker,
)
from app.errors import AppError

cli = typer.Typer(
    help="The appeals hub: one place for every citizen appeal of the city.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
cli.add_typer(database.cli)  # migrate, load-config
cli.add_typer(serve.cli)  # serve
cli.add_typer(admin.cli)  # purge, export
cli.add_typer(imports.cli)  # import
cli.add_typer(demo.cli)  # demo
cli.add_typer(simulate.cli)  # simulate
cli.add_typer(sla.cli)  # sla-sweep
cli.add_typer(worker.cli)  # worker
cli.add_typer(api_keys.cli, name="api-keys")
cli.add_typer(quarantine.cli, name="quarantine")
cli.add_typer(outbox.cli, name="outbox")
cli.add_typer(routing.cli, name="routing")
cli.add_typer(users.cli, name="users")
cli.add_typer(sstu.cli, name="sstu")


def main() -> None:
    """The ``appeals`` entry point: client-style errors are one line on stderr, not a traceback."""
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
