"""One sweeper process for the benchmark: ``sla_sweeper.sweep`` to completion, as a worker's
``sla_sweeper`` loop does in one pass, then prints what it did as JSON.

    python -m bench.sweeper --database bench_x --now 2026-11-26T08:00:00+00:00
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime


async def _run(database: str, now: datetime) -> dict[str, object]:
    from app.config import get_settings
    from app.db import Database
    from app.metrics.hooks import install_metric_hooks
    from app.sla.sweeper import sweep
    from bench import pg

    install_metric_hooks()
    db = Database(pg.app_url(database), get_settings())
    try:
        t0 = time.perf_counter()
        result = await sweep(db, now)
        return {"seconds": time.perf_counter() - t0, "picked": result.picked}
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_run(args.database, args.now))))


if __name__ == "__main__":
    main()
