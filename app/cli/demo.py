"""``appeals demo``: the living demo behind ``make run``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
import uvicorn

from app.cli.runtime import database_url, run_with_db
from app.config import get_settings
from app.db import Database, leftover_embedded_postgres, stop_embedded_postgres
from app.demo.access import DemoAccess, ensure_access, store
from app.demo.live import LiveView, banner, redirect_output, reprint_on_enter, say
from app.demo.processes import (
    STOP_SIGNALS,
    DemoStopped,
    busy_ports_line,
    ignore_stop_signals,
    spawn,
    stop_children,
    stop_signals_raise,
    watch_parent,
)
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CITY = ROOT / "config" / "city.example.yaml"

cli = typer.Typer()


class DemoScenario(StrEnum):
    steady = "steady"
    outage = "outage"


# The answers-back loop on one laptop: the worker and fake ПОС and IM pushing a few signed
# appeals a second to the demo API, with matching demo-only secrets.
_APPEALS = [sys.executable, "-m", "app"]
_POS_DEMO_SECRET = "whsec_ZGVtby1mZWVkYmFjay1wbGF0Zm9ybS1zZWNyZXQhIQ=="
_IM_DEMO_SECRET = "whsec_ZGVtby1pbmNpZGVudC1tYW5hZ2VtZW50LXNlY3JldCE="
DEMO_ENV = {
    "APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS": _POS_DEMO_SECRET,
    "APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS": _IM_DEMO_SECRET,
    "APPEALS_FEEDBACK_PLATFORM_OUTBOUND_SECRET": _POS_DEMO_SECRET,
    "APPEALS_INCIDENT_MANAGEMENT_OUTBOUND_SECRET": _IM_DEMO_SECRET,
    "APPEALS_FEEDBACK_PLATFORM_USERNAME": "demo-client",
    "APPEALS_FEEDBACK_PLATFORM_PASSWORD": "demo-password",
    "APPEALS_FEEDBACK_PLATFORM_CLIENT_ID": "appeals-hub",
    "APPEALS_FEEDBACK_PLATFORM_CLIENT_SECRET": "demo-client-secret",
    "APPEALS_FEEDBACK_PLATFORM_POLL_INTERVAL_SECONDS": "30",
}


# `appeals demo --scenario outage`: both simulators play a burst main in the centre, an hour
# in two minutes, 30 reports each over a light background (docs/INCIDENTS.md).
_OUTAGE = ["--scenario", "outage", "--speed", "30", "--outage-size", "30", "--background", "20"]


def demo_processes(
    host: str, pos_port: int, im_port: int, sstu_port: int = 9103, *, scenario: str = "steady"
) -> list[list[str]]:
    """The background processes beside the API: the worker and the three simulators."""
    flow = _OUTAGE if scenario == "outage" else []
    return [
        [*_APPEALS, "simulate", "sstu", "--host", host, "--port", str(sstu_port)],
        [*_APPEALS, "worker"],
        [*_APPEALS, "simulate", "feedback-platform", "--host", host, "--port", str(pos_port),
         "--rate", "1.5", *flow],
        [*_APPEALS, "simulate", "incident-management", "--host", host, "--port", str(im_port),
         "--rate", "1.5", *flow],
    ]  # fmt: skip


@cli.command()
def demo(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The API's port")] = 8000,
    feedback_platform_port: Annotated[int, typer.Option(help="The ПОС simulator's port")] = 9101,
    incident_management_port: Annotated[int, typer.Option(help="The IM simulator's port")] = 9102,
    sstu_port: Annotated[int, typer.Option(help="The ССТУ.РФ simulator's port")] = 9103,
    city: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, show_default="config/city.example.yaml")
    ] = EXAMPLE_CITY,
    live_interval: Annotated[
        float, typer.Option(help="Seconds between the live view's lines")
    ] = 10.0,
    scenario: Annotated[
        DemoScenario,
        typer.Option(
            help="steady: a constant flow from ПОС and IM; outage: a burst main in the centre "
            "(an hour in two minutes) over a light background, for the mass-incident story"
        ),
    ] = DemoScenario.steady,
) -> None:
    """The living demo: embedded PostgreSQL, the example city, worker, simulators, the API.

    Prints the URLs, the admin key and two console sign-ins (the same on every run: they are
    kept in APPEALS_DATA_DIR/demo/access.json), then a line of what arrived, was routed and
    answered every --live-interval seconds; every process's full log goes to
    APPEALS_DATA_DIR/demo/demo.log. Ctrl-C, SIGTERM, a closed terminal or the death of its
    parent stop everything it started. Busy ports are told in one line before anything starts.

    Example: make run   (or: appeals demo --port 8000)

    The mass-incident story: appeals demo --scenario outage — a burst main in the centre, an
    hour of reports in two minutes; the worker suspects the incident within a minute, and one
    message from the console or `POST /api/v1/incidents/{id}/messages` reaches every citizen
    through his own source (docs/INCIDENTS.md).
    """
    ports = (port, feedback_platform_port, incident_management_port, sstu_port)
    busy = busy_ports_line(host, ports)
    if busy:
        typer.echo(busy, err=True)
        raise typer.Exit(1)
    settings = get_settings()
    demo_dir = settings.data_dir / "demo"
    leftover = None if settings.database_url else leftover_embedded_postgres(settings.data_dir)
    if leftover:
        typer.echo(
            f"Reusing the embedded PostgreSQL (pid {leftover}) an earlier demo left running; "
            "it stops with this one."
        )
    typer.echo(f"Starting the demo (a minute the first time)… full log: {demo_dir / 'demo.log'}")
    terminal = redirect_output(demo_dir / "demo.log")
    with _stops_everything(terminal, demo_dir / "demo.log") as children, stop_signals_raise():
        access = _prepare_database(city, demo_dir)
        _export_demo_environment(
            host, port, feedback_platform_port, incident_management_port, sstu_port=sstu_port
        )
        children += [
            spawn(cmd, os.environ.copy())
            for cmd in demo_processes(
                host,
                feedback_platform_port,
                incident_management_port,
                sstu_port,
                scenario=scenario.value,
            )
        ]
        simulators = (
            f"ПОС http://{host}:{feedback_platform_port} · "
            f"Инцидент Менеджмент http://{host}:{incident_management_port} · "
            f"ССТУ.РФ http://{host}:{sstu_port}"
        )
        text = banner(access, f"http://{host}:{port}", simulators, demo_dir / "demo.log")
        _serve_with_live_view(host, port, children, terminal, text, live_interval)


def _serve_with_live_view(
    host: str,
    port: int,
    children: list[subprocess.Popen[bytes]],
    terminal: TextIO,
    text: str,
    live_interval: float,
) -> None:
    """Serve the API; once it is up, the banner again and the live view below it."""
    view = LiveView(database_url(), get_settings(), terminal, live_interval)

    def started() -> None:
        say(terminal, text)
        reprint_on_enter(terminal, text)
        view.start()

    _serve_api(host, port, children, started=started, stopping=view.stop)


@contextlib.contextmanager
def _stops_everything(terminal: TextIO, log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """However the demo ends, its children and its embedded PostgreSQL end with it; a failure
    is told on the terminal with the end of the log."""
    children: list[subprocess.Popen[bytes]] = []
    watching = watch_parent(lambda: os.kill(os.getpid(), signal.SIGHUP))
    failed: str | None = None
    try:
        yield children
    except DemoStopped:
        pass
    except SystemExit as exc:
        if exc.code not in (0, None):
            failed = f"exit status {exc.code}"
    except Exception as exc:
        failed = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        ignore_stop_signals()
        watching.set()
        stop_children(children)
        stop_embedded_postgres()
        if failed:
            tail = log.read_text(errors="replace").splitlines()[-15:]
            say(terminal, f"The demo could not go on ({failed}). The end of {log}:")
            say(terminal, "\n".join(tail))
        else:
            say(terminal, "The demo stopped, and everything it started with it.")
    if failed:
        raise typer.Exit(1)


def _prepare_database(city: Path, demo_dir: Path) -> DemoAccess:
    """Migrate, apply the city file, and make (or find again) the key and console sign-ins."""
    from app.migrate import upgrade  # lazy: alembic adds 0.2 s to every `appeals` start

    upgrade(database_url())
    config = read_city_config(city)

    async def work(db: Database) -> DemoAccess:
        async with db.sessionmaker() as session:
            await apply_city_config(session, config)
            access = await ensure_access(session, config, demo_dir / "access.json")
            await session.commit()
            return access

    access = run_with_db(work)
    store(demo_dir / "access.json", access)
    return access


def _export_demo_environment(
    host: str, port: int, pos_port: int, im_port: int, *, sstu_port: int = 9103
) -> None:
    """The demo's settings for this process and its children (a value already set wins)."""
    os.environ["APPEALS_MIGRATE_ON_START"] = "false"
    os.environ.setdefault("APPEALS_DEMO_API_URL", f"http://{host}:{port}")
    os.environ.setdefault("APPEALS_FEEDBACK_PLATFORM_URL", f"http://{host}:{pos_port}")
    os.environ.setdefault("APPEALS_INCIDENT_MANAGEMENT_URL", f"http://{host}:{im_port}")
    os.environ.setdefault("APPEALS_SSTU_URL", f"http://{host}:{sstu_port}")
    os.environ.setdefault("APPEALS_SSTU_TOKEN", "demo-sstu-token")
    for key, value in DEMO_ENV.items():
        os.environ.setdefault(key, value)
    get_settings.cache_clear()  # the API below reads the demo secrets too


class _DemoServer(uvicorn.Server):
    """uvicorn that stops on SIGHUP too, tells when it is up, and stops the demo's children
    (and the live view) before it drains the API and stops the database."""

    def __init__(
        self,
        config: uvicorn.Config,
        children: list[subprocess.Popen[bytes]],
        started: Callable[[], None],
        stopping: Callable[[], None],
    ) -> None:
        super().__init__(config)
        self.children, self.on_started, self.on_stopping = children, started, stopping

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn's own handles SIGINT and SIGTERM and re-raises them once stopped; a closed
        # terminal's SIGHUP would kill the demo on the spot and leave the database running.
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            self.on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Nothing keeps pushing at an API that drains its connections.
        self.on_stopping()
        await asyncio.to_thread(stop_children, self.children)
        await super().shutdown(sockets)


def _serve_api(
    host: str,
    port: int,
    children: list[subprocess.Popen[bytes]],
    *,
    started: Callable[[], None],
    stopping: Callable[[], None],
) -> None:
    """Run the API in the foreground until a stop signal (or its parent's death)."""
    server_config = uvicorn.Config(
        "app.asgi:app", host=host, port=port, log_config=None, timeout_graceful_shutdown=10
    )
    _DemoServer(server_config, children, started, stopping).run()
