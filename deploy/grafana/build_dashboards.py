"""Grafana dashboards as code (grafana-foundation-sdk); writes deploy/grafana/dashboards/*.json.

    .venv/bin/python deploy/grafana/build_dashboards.py          # regenerate the JSON
    .venv/bin/python deploy/grafana/build_dashboards.py --check  # fail if the JSON is stale

The dashboards are in this folder's modules (``sla_overview.py``, shared parts in
``panels.py``); edit them, never the JSON. docs/METRICS.md defines every panel.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script or loaded by path (tests): the modules beside it
    sys.path.insert(0, str(HERE))

from grafana_foundation_sdk.cog.encoder import JSONEncoder  # noqa: E402
from sla_overview import sla_overview  # noqa: E402

OUT = HERE / "dashboards"
DASHBOARDS = {"sla-overview.json": sla_overview}


def render(build: Any) -> str:
    return (
        json.dumps(build().build(), cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )


def main(argv: list[str]) -> int:
    stale = []
    for name, build in DASHBOARDS.items():
        path = OUT / name
        text = render(build)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale dashboards (run deploy/grafana/build_dashboards.py):", *stale)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
