"""``appeals serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from app.cli.runtime import database_url
from app.config import get_settings

cli = typer.Typer()


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
    from app.migrate import upgrade  # lazy: alembic adds 0.2 s to every `appeals` start

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
