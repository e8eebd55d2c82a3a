"""The metric ORM hooks are installed explicitly, once however often start-up asks, and a
process that forgot them fails loudly instead of losing counts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime

from app.metrics import catalog
from app.metrics import store as metrics_store
from app.metrics.hooks import install_metric_hooks
from app.models.common import Status
from tests.support.builders import make_ticket
from tests.support.servers import ROOT

T0 = datetime(2026, 11, 2, tzinfo=UTC)


async def test_installing_again_counts_each_change_once(db):
    install_metric_hooks()  # the test session installed them already; so does every create_app
    install_metric_hooks()
    made = await make_ticket(db, text="Холодные батареи, заявка без адреса", now=T0)
    async with db.sessionmaker() as session:
        rows = await metrics_store.read_all(session)
    series = {(n, tuple(sorted(lab.items()))): v for n, lab, v in rows}
    open_key = (("department", made.department_code), ("status", Status.routed.value))
    assert series[(catalog.TICKETS_OPEN.name, open_key)] == 1
    routed = (("department", made.department_code), ("method", "category"))
    assert series[(catalog.TICKETS_ROUTED.name, routed)] == 1


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_importing_the_app_installs_nothing_and_create_app_installs_the_hooks():
    result = run(
        """
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        import app.main
        from app.metrics import catalog, store, ticket_series
        from app.models.tickets import Ticket

        def installed():
            return (
                event.contains(Session, "before_commit", store._write_buffered),
                event.contains(Session, "before_flush", ticket_series._count_ticket_changes),
                event.contains(Ticket.status, "set", ticket_series._keep_history),
            )

        print(installed())
        try:
            store.buffer_updates(Session(), [(catalog.TICKETS_OPEN.name, {}, 1.0)])
        except store.HooksNotInstalled:
            print("refused")
        app.main.create_app()
        print(installed())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "(False, False, False)",
        "refused",
        "(True, True, True)",
    ]
