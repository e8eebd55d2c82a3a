"""What the demo tells on the terminal: which port is taken by what, in one line, and a banner
with everything a new user needs to get in."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

from app.demo.access import DemoAccess, SignIn
from app.demo.live import banner
from app.demo.processes import busy_ports_line, port_is_free


def test_a_taken_port_is_told_with_its_holder_in_one_line() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        line = busy_ports_line("127.0.0.1", [port])
    assert line is not None and "\n" not in line
    assert f"port {port} is taken on 127.0.0.1" in line and f"(pid {os.getpid()})" in line
    assert f"kill {os.getpid()}" in line and "--port" in line
    assert busy_ports_line("127.0.0.1", [port]) is None  # closed: free again


def test_the_banner_holds_the_urls_the_key_and_the_sign_ins() -> None:
    access = DemoAccess(
        "apk_demo_key",
        [SignIn("demo-zhkh", "pa55-word-zhkh", "zhkh", "Отдел ЖКХ", "operator")],
    )
    text = banner(access, "http://127.0.0.1:8000", "ПОС :9101", Path("var/demo/demo.log"))
    for part in (
        "http://127.0.0.1:8000/docs",
        "http://127.0.0.1:8000/console",
        "Admin API key  apk_demo_key",
        "Bearer apk_demo_key' http://127.0.0.1:8000/api/v1/tickets",
        "demo-zhkh  pa55-word-zhkh   Отдел ЖКХ (operator)",
        ".venv/bin/appeals --help",
        "var/demo/demo.log",
        "var/demo/access.json",
    ):
        assert part in text, part


def test_a_hung_up_terminal_is_seen_even_without_its_sighup(tmp_path):
    """Under `make run` a closed terminal's SIGHUP goes to make, which waits on: the demo
    must notice the hangup itself (found by an outside check: everything kept running)."""
    import pty
    import time

    from app.demo.processes import terminal_gone

    result = tmp_path / "result"
    pid, master = pty.fork()
    if pid == 0:  # pragma: no cover - the child, on the pty as its controlling terminal
        try:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            seen = [terminal_gone(0)]
            for _ in range(100):
                if terminal_gone(0):
                    seen.append(True)
                    break
                time.sleep(0.05)
            result.write_text(repr(seen))
        finally:
            os._exit(0)
    time.sleep(1.0)
    os.close(master)
    os.waitpid(pid, 0)
    assert result.read_text() == "[False, True]"
