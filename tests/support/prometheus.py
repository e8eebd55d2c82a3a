"""A real Prometheus for tests: the project's rules loaded, scraping a real api every second;
the dashboard's and rules' expressions read from the committed files, run as Grafana runs them."""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.servers import ROOT, Process, free_port, wait_http

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"


def prometheus_config(tmp: Path, target: str) -> Path:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))],
        "scrape_configs": [
            {
                "job_name": "appeals",
                "metrics_path": "/metrics",
                "params": {"scope": ["business"]},
                "static_configs": [{"targets": [target], "labels": {"instance": "appeals"}}],
            },
            {
                "job_name": "appeals-api",
                "metrics_path": "/metrics",
                "params": {"scope": ["process"]},
                "static_configs": [{"targets": [target]}],
            },
        ],
    }
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def start_prometheus(tmp: Path, target: str) -> tuple[Process, str]:
    """The Debian ``prometheus`` (scripts/install-test-deps.sh), ready; (process, base URL)."""
    binary = shutil.which("prometheus")
    assert binary, "the prometheus server is installed by scripts/install-test-deps.sh"
    port = free_port()
    args = [
        binary,
        f"--config.file={prometheus_config(tmp, target)}",
        f"--storage.tsdb.path={tmp / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    proc = Process(args, env={}, log_path=tmp / "prometheus.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/-/ready", timeout=60.0, proc=proc)
    except BaseException:
        proc.stop()
        raise
    return proc, base


def query(base: str, expr: str, at: float | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    r = httpx.get(f"{base}/api/v1/query", params=params, timeout=10)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "success", (expr, body)
    return body["data"]["result"]  # type: ignore[no-any-return]


def scalar(base: str, expr: str, at: float | None = None) -> float | None:
    result = query(base, expr, at)
    return float(result[0]["value"][1]) if result else None


def wait_until(base: str, expr: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(base, expr):
            return
        time.sleep(0.3)
    raise TimeoutError(f"Prometheus never answered {expr!r}")


@dataclass(frozen=True)
class Target:
    panel: str
    ref: str
    expr: str
    legend: str
    display: dict[str, str]  # the panel's displayName overrides: legend -> shown name
    mappings: dict[float, str]  # the panel's value mappings: value -> the words shown
    time_from: str | None
    time_shift: str | None


def dashboard_targets(name: str = "sla-overview.json") -> list[Target]:
    """Every query of every panel of a committed dashboard."""
    board = json.loads((DASHBOARDS / name).read_text(encoding="utf-8"))
    out = []
    for panel in board["panels"]:
        display = {
            o["matcher"]["options"]: p["value"]
            for o in panel.get("fieldConfig", {}).get("overrides", [])
            if o["matcher"]["id"] == "byName"
            for p in o["properties"]
            if p["id"] == "displayName"
        }
        mappings = {
            float(value): result["text"]
            for m in panel.get("fieldConfig", {}).get("defaults", {}).get("mappings", [])
            if m["type"] == "value"
            for value, result in m["options"].items()
        }
        for t in panel.get("targets", []):
            out.append(
                Target(
                    panel["title"],
                    t["refId"],
                    t["expr"],
                    t.get("legendFormat", ""),
                    display,
                    mappings,
                    panel.get("timeFrom"),
                    panel.get("timeShift"),
                )
            )
    return out


def rules() -> list[dict[str, Any]]:
    out = []
    for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            out.extend(group["rules"])
    return out


def grafana(expr: str, *, department: str = ".*", range_seconds: float | None = None) -> str:
    """The query as Grafana sends it: ``$department`` and ``$__range`` filled in."""
    expr = expr.replace("$department", department)
    if "$__range" in expr:
        assert range_seconds is not None, expr
        expr = expr.replace("$__range", f"{round(range_seconds)}s")
    return expr


def shown(result: list[dict[str, Any]], target: Target) -> dict[str, float | str]:
    """Each series' value under the name the panel shows (legend, then displayName); a value
    the panel maps to words, as those words."""
    out: dict[str, float | str] = {}
    for series in result:
        legend = re.sub(
            r"{{\s*(\w+)\s*}}",
            lambda m, labels=series["metric"]: labels.get(m.group(1), ""),
            target.legend,
        )
        name = target.display.get(legend, legend)
        assert name not in out, f"{target.panel}: two series shown as {name!r}"
        value = float(series["value"][1])
        assert not math.isnan(value), f"{target.panel}: NaN for {name!r}"
        out[name] = target.mappings.get(value, value)
    return out
