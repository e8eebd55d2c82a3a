"""deploy/: Prometheus config and rules pass promtool (with their unit tests); the committed
Grafana JSON is exactly what the dashboard builder generates."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"


def promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is installed by scripts/install-test-deps.sh (make test-deps)"
    return subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


def test_rules_are_valid():
    files = sorted(str(p) for p in (PROMETHEUS / "rules").glob("*.yml"))
    assert files
    result = promtool("check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass():
    tests = sorted(str(p) for p in (PROMETHEUS / "tests").glob("*.yml"))
    assert tests
    result = promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.local.yml"])
def test_scrape_config_is_valid(config):
    result = promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_dashboards", GRAFANA / "build_dashboards.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["sla-overview.json"])
def test_committed_dashboard_equals_the_builder_output(name):
    builder = _builder()
    committed = (GRAFANA / "dashboards" / name).read_text(encoding="utf-8")
    assert committed == builder.render(builder.DASHBOARDS[name]), (
        "run: .venv/bin/python deploy/grafana/build_dashboards.py"
    )


def test_dashboard_uses_the_provisioned_datasource():
    uid = "prometheus"
    assert (
        f"uid: {uid}" in (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    dashboard = json.loads((GRAFANA / "dashboards" / "sla-overview.json").read_text())
    titles = {p["title"] for p in dashboard["panels"]}
    assert {
        "On time, last 30 days, by department",
        "Open tickets by status and department",
    } <= titles
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == uid
