"""``appeals demo``: the living demo behind ``make run``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from app.access.api_keys import create_api_key
from app.cli.runtime import database_url, run_with_db
from app.config import get_settings
from app.db import Database
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config
from app.models.common import Role

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CITY = ROOT / "config" / "city.example.yaml"

cli = typer.Typer()

# Background processes the demo runs beside the API (the worker, the simulators), each a
# command line; later capabilities append theirs.
DEMO_PROCESSES: list[list[str]] = []

# The answers-back loop on one laptop: the worker and fake ПОС (:9101) and IM (:9102) pushing a
# few signed appeals a second to the demo API, with matching demo-only secrets and URLs.
_APPEALS = [sys.executable, "-m", "app"]
DEMO_PROCESSES += [
    [*_APPEALS, "worker"],
    [*_APPEALS, "simulate", "feedback-platform", "--port", "9101", "--rate", "1.5"],
    [*_APPEALS, "simulate", "incident-management", "--port", "9102", "--rate", "1.5"],
]
_POS_DEMO_SECRET = "whsec_ZGVtby1mZWVkYmFjay1wbGF0Zm9ybS1zZWNyZXQhIQ=="
_IM_DEMO_SECRET = "whsec_ZGVtby1pbmNpZGVudC1tYW5hZ2VtZW50LXNlY3JldCE="
DEMO_ENV = {
    "APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": _POS_DEMO_SECRET,
    "APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS": _IM_DEMO_SECRET,
    "APPEALS_FEEDBACK_PLATFORM_OUTBOUND_SECRET": _POS_DEMO_SECRET,
    "APPEALS_INCIDENT_MANAGEMENT_OUTBOUND_SECRET": _IM_DEMO_SECRET,
    "APPEALS_FEEDBACK_PLATFORM_URL": "http://127.0.0.1:9101",
    "APPEALS_INCIDENT_MANAGEMENT_URL": "http://127.0.0.1:9102",
    "APPEALS_FEEDBACK_PLATFORM_USERNAME": "demo-client",
    "APPEALS_FEEDBACK_PLATFORM_PASSWORD": "demo-password",
    "APPEALS_FEEDBACK_PLATFORM_CLIENT_ID": "appeals-hub",
    "APPEALS_FEEDBACK_PLATFORM_CLIENT_SECRET": "demo-client-secret",
    "APPEALS_FEEDBACK_PLATFORM_POLL_INTERVAL_SECONDS": "30",
}


@cli.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    city: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, show_default="config/city.example.yaml")
    ] = EXAMPLE_CITY,
) -> None:
    """Embedded PostgreSQL, migrations, the example city, a demo admin key, the API on :8000.

    Example: make run   (or: appeals demo --port 8000)
    """
    token = _prepare_database(city)
    _export_demo_environment(host, port)
    children = [subprocess.Popen(cmd, env=os.environ.copy()) for cmd in DEMO_PROCESSES]
    base = f"http://{host}:{port}"
    typer.echo(
        "\nAppeals hub demo\n"
        f"  API docs:   {base}/docs\n"
        f"  Tickets:    curl -H 'Authorization: Bearer {token}' {base}/api/v1/tickets\n"
        f"  Metrics:    {base}/metrics\n"
        f"  Admin key:  {token}\n",
        err=True,
    )
    _serve_api(host, port, children)


def _prepare_database(city: Path) -> str:
    """Migrate, apply the city file and mint a demo admin key; the key's token."""
    from app.migrate import upgrade  # lazy: alembic adds 0.2 s to every `appeals` start

    url = database_url()
    upgrade(url)
    config = read_city_config(city)

    async def work(db: Database) -> str:
        async with db.sessionmaker() as session:
            await apply_city_config(session, config)
            _, token = await create_api_key(
                session, role=Role.admin, department_code=None, name="demo admin"
            )
            await session.commit()
            return token

    return run_with_db(work)


def _export_demo_environment(host: str, port: int) -> None:
    """The demo's settings for this process and its children (a value already set wins)."""
    os.environ["APPEALS_MIGRATE_ON_START"] = "false"
    os.environ.setdefault("APPEALS_DEMO_API_URL", f"http://{host}:{port}")
    for key, value in DEMO_ENV.items():
        os.environ.setdefault(key, value)
    get_settings.cache_clear()  # the API below reads the demo secrets too


class _DemoServer(uvicorn.Server):
    """uvicorn that stops the demo's background processes before it drains the API."""

    def __init__(self, config: uvicorn.Config, children: list[subprocess.Popen[bytes]]) -> None:
        super().__init__(config)
        self.children = children

    def handle_exit(self, sig: int, frame: Any) -> None:
        # Stop the simulators and the worker first, so nothing keeps pushing at an API
        # that is draining its connections.
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        super().handle_exit(sig, frame)


def _serve_api(host: str, port: int, children: list[subprocess.Popen[bytes]]) -> None:
    """Run the API in the foreground until stopped, then reap the background processes."""
    server_config = uvicorn.Config(
        "app.asgi:app", host=host, port=port, log_config=None, timeout_graceful_shutdown=10
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown; as SystemExit it still reaches the
    # `finally` below, which reaps the children (else they outlive the demo).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _DemoServer(server_config, children).run()
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.stdout.flush()
