"""Real server processes for tests that need them (uvicorn, the worker, simulators)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A child process with its output in a log file; killed at the end of the test.

    Every one started and not yet stopped is in ``Process.running``: tests/e2e/conftest.py
    stops what a test left behind (a failed test must not leave a server or a worker writing
    to the database the next test resets)."""

    running: ClassVar[set[Process]] = set()

    def __init__(self, args: Sequence[str], env: dict[str, str], log_path: Path) -> None:
        self.args = list(args)
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            list(args),
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        Process.running.add(self)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 10) -> int | None:
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait(timeout=5)
        self._log.close()
        Process.running.discard(self)
        return self.proc.returncode


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPEALS_")}
    env.update(
        APPEALS_DATABASE_URL=database_url,
        APPEALS_MIGRATE_ON_START="false",
        APPEALS_ENVIRONMENT="test",
        APPEALS_LOG_JSON="true",
    )
    env.update(extra)
    return env


def wait_http(url: str, timeout: float = 20.0, proc: Process | None = None) -> None:
    """Wait until ``url`` answers (any status), or fail with the process log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{proc.log()}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout}s" + (f"\n{proc.log()}" if proc else ""))


def start_api(
    database_url: str, tmp_path: Path, *, workers: int = 1, **env: str
) -> tuple[Process, str]:
    """uvicorn serving the app on a free port; returns the process and its base URL."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    proc = Process(args, app_env(database_url, **env), tmp_path / f"api-{port}.log")
    base = f"http://127.0.0.1:{port}"
    try:
        # A loaded machine can take a while to import the app; never leave the process behind.
        wait_http(base + "/healthz", timeout=60.0, proc=proc)
    except BaseException:
        proc.stop()
        raise
    return proc, base


@contextlib.asynccontextmanager
async def serve_in_process(app: Any) -> AsyncIterator[str]:
    """uvicorn serving ``app`` on a free port inside this event loop (real HTTP over TCP, the
    app sharing the test's database pool); yields the base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
