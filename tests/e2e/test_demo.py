"""`appeals demo` as a new user meets it, on free ports with its own embedded PostgreSQL: the
banner's key and console sign-ins work, a second run while one runs says why in one line, and
however the demo ends (a closed terminal's SIGHUP, its parent dying, SIGKILL and the next run)
nothing it started is left running."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from tests.support.servers import Process, free_port

STARTED = "Console "


def demo_args(ports: tuple[int, ...]) -> list[str]:
    api, pos, im, sstu = ports
    return [
        sys.executable, "-m", "app", "demo", "--port", str(api),
        "--feedback-platform-port", str(pos), "--incident-management-port", str(im),
        "--sstu-port", str(sstu), "--live-interval", "1",
    ]  # fmt: skip


def free_ports() -> tuple[int, ...]:
    return tuple(free_port() for _ in range(4))


def demo_env(data_dir: Path) -> dict[str, str]:
    """A user's environment: no database URL (the embedded server), the demo's own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPEALS_")}
    env["APPEALS_DATA_DIR"] = str(data_dir)
    return env


def until(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def started(process: Process, *, of: psutil.Process | None = None) -> str:
    """Wait for the banner; its text."""

    def up() -> bool:
        if process.proc.poll() is not None:
            raise RuntimeError(f"the demo ended:\n{process.log()}")
        return STARTED in process.log()

    until(up, f"the demo's banner:\n{process.log()}")
    return process.log()


def postgres_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])


def banner_access(text: str) -> tuple[str, str, str]:
    """The admin key and the first console sign-in (login, password) the banner shows."""
    key = re.search(r"Admin API key  (apk_\S+)", text)
    sign_in = re.search(r"^\s+(demo-[a-z0-9-]+)\s+(\S+)\s", text, flags=re.M)
    assert key and sign_in, text
    return key.group(1), sign_in.group(1), sign_in.group(2)


def signs_in(base: str, login: str, password: str) -> bool:
    with httpx.Client(base_url=base, timeout=30) as browser:
        page = browser.get("/console/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, page.text
        answer = browser.post(
            "/console/login",
            data={"login": login, "password": password, "csrf_token": csrf.group(1)},
        )
        return answer.status_code == 303 and answer.headers["location"] == "/console"


def test_sighup_or_a_dead_parent_ends_everything_and_a_second_run_says_why(tmp_path) -> None:
    data, ports = tmp_path / "data", free_ports()
    base = f"http://127.0.0.1:{ports[0]}"
    first = Process(demo_args(ports), demo_env(data), tmp_path / "first.log")
    try:
        key, login, password = banner_access(started(first))
        r = httpx.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200
        assert signs_in(base, login, password)
        assert f"{base}/console" in first.log() and f"{base}/docs" in first.log()

        second = Process(demo_args(ports), demo_env(data), tmp_path / "second.log")
        assert second.proc.wait(timeout=60) == 1
        lines = second.log().strip().splitlines()
        assert len(lines) == 1, lines
        assert f"another appeals demo (pid {first.proc.pid})" in lines[0]
        assert all(str(p) in lines[0] for p in ports)
        second.stop()

        postgres = postgres_pid(data)
        children = [c.pid for c in psutil.Process(first.proc.pid).children()]
        assert children  # the worker and the simulators
        os.kill(first.proc.pid, signal.SIGHUP)  # the terminal was closed
        assert first.proc.wait(timeout=60) == 0
        for pid in [postgres, *children]:
            assert gone(pid), psutil.Process(pid).cmdline()
    finally:
        first.stop()

    # The next run, under a parent that dies: the same key and sign-in, and it stops alone.
    parent = Process(
        ["sh", "-c", '"$@"; true', "sh", *demo_args(ports)], demo_env(data), tmp_path / "third.log"
    )
    try:
        assert banner_access(started(parent)) == (key, login, password)
        (demo,) = psutil.Process(parent.proc.pid).children()
        postgres = postgres_pid(data)
        os.kill(parent.proc.pid, signal.SIGKILL)
        until(lambda: gone(demo.pid), "the orphaned demo to stop", timeout=60)
        assert gone(postgres)
    finally:
        parent.stop()


def test_a_killed_demos_database_is_reused_once_and_stopped(tmp_path) -> None:
    data, ports = tmp_path / "data", free_ports()
    killed = Process(demo_args(ports), demo_env(data), tmp_path / "killed.log")
    try:
        started(killed)
        children = [c.pid for c in psutil.Process(killed.proc.pid).children()]
        postgres = postgres_pid(data)
        os.kill(killed.proc.pid, signal.SIGKILL)
        killed.proc.wait(timeout=30)
        until(lambda: all(gone(pid) for pid in children), "the children to end with the demo")
        assert not gone(postgres)  # nothing can stop a server on SIGKILL: the next run does
    finally:
        killed.stop()

    again = Process(demo_args(ports), demo_env(data), tmp_path / "again.log")
    try:
        text = started(again)
        assert text.splitlines()[0] == (
            f"Reusing the embedded PostgreSQL (pid {postgres}) an earlier demo left running; "
            "it stops with this one."
        )
        assert postgres_pid(data) == postgres
        os.kill(again.proc.pid, signal.SIGTERM)
        assert again.proc.wait(timeout=60) == 0
        assert gone(postgres)
    finally:
        again.stop()
