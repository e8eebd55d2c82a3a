"""End-to-end tests start real processes; none outlives its test, even a failed one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import Process


@pytest.fixture(autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Stop every server, worker or simulator the test started and did not stop itself (a
    leftover worker would write into the database while the next test resets it), and say
    so: a test that leaves one behind needs a try/finally."""
    before = set(Process.running)
    yield
    left = [p for p in Process.running if p not in before]
    for proc in left:
        proc.stop()
    assert not left, "left running by the test: " + "; ".join(" ".join(p.args) for p in left)
