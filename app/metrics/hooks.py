"""The ORM hooks that keep the durable series, installed explicitly (nothing at import).

Called by every process start-up that writes through the ORM: ``create_app``, the worker,
the command line (``run_with_db``), the tests' fixtures and the benchmarks. Idempotent.
Without them a counter update raises ``HooksNotInstalled`` instead of being lost.
"""

from __future__ import annotations

from app.metrics.store import install_commit_hooks
from app.metrics.ticket_series import install_ticket_hook


def install_metric_hooks() -> None:
    """Counter updates written before commit (dropped on rollback); ticket changes counted."""
    install_commit_hooks()
    install_ticket_hook()
