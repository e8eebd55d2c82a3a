"""deploy/: Prometheus config and rules pass promtool (with their unit tests); the committed
Grafana JSON is exactly what the dashboard builder generates."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

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
    assert {"В срок за 30 дней, по отделам", "Открытые обращения по отделам"} <= titles
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == uid


def test_every_panel_is_defined_has_a_unit_and_names_its_axis():
    dashboard = json.loads((GRAFANA / "dashboards" / "sla-overview.json").read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    metrics_doc = (ROOT / "docs" / "METRICS.md").read_text(encoding="utf-8")
    for panel in panels:
        title = panel["title"]
        assert panel["description"], title
        assert panel["fieldConfig"]["defaults"]["unit"], title
        assert f"«{title}»" in metrics_doc, f"docs/METRICS.md does not define {title!r}"
        if panel["type"] == "timeseries":
            assert panel["fieldConfig"]["defaults"]["custom"]["axisLabel"], title
        # Russian for the city's staff: titles and legends have no English words.
        legends = [t.get("legendFormat", "") for t in panel["targets"]]
        for text in (title, *legends):
            assert not re.search(
                r"\b(?!API|ИМ|ПОС|p95)[A-Za-z]{3,}\b", re.sub(r"{{\w+}}", "", text)
            ), text
    department = next(v for v in dashboard["templating"]["list"] if v["name"] == "department")
    assert department["includeAll"] and department["allValue"] == ".*"


def _rule_names(kind: str) -> set[str]:
    names = set()
    for path in (PROMETHEUS / "rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names |= {r[kind] for r in group["rules"] if kind in r}
    return names


def test_every_alert_and_recording_rule_has_a_promtool_test():
    tested_alerts: set[str] = set()
    tested_exprs: list[str] = []
    for path in (PROMETHEUS / "tests").glob("*.yml"):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            tested_alerts |= {t["alertname"] for t in case.get("alert_rule_test", [])}
            tested_exprs += [t["expr"] for t in case.get("promql_expr_test", [])]
    assert _rule_names("alert") == tested_alerts
    for record in _rule_names("record"):
        assert any(record in expr for expr in tested_exprs), f"{record} has no promql_expr_test"


def _panel(title: str) -> dict:
    dashboard = json.loads((GRAFANA / "dashboards" / "sla-overview.json").read_text())
    return next(p for p in dashboard["panels"] if p["title"] == title)


def test_a_connector_that_never_succeeded_is_shown_never(tmp_path):
    """The committed query of «Время с последнего успеха коннектора», run by promtool on the
    series the hub exposes (0 = never): a connector that only ever failed shows «никогда, только
    сбои», one never used «не использовался», one that succeeded the time since."""
    panel = _panel("Время с последнего успеха коннектора")
    (target,) = panel["targets"]
    mapped = {
        float(value): result["text"]
        for mapping in panel["fieldConfig"]["defaults"]["mappings"]
        for value, result in mapping["options"].items()
    }
    last = "appeals_connector_last_{}_timestamp_seconds{{connector={!r}}}"
    series = {
        ("success", "telegram"): "60x10",  # succeeded at 60 s, failed at 120 s
        ("failure", "telegram"): "120x10",
        ("success", "feedback_platform.answers"): "0x10",  # refused every connection
        ("failure", "feedback_platform.answers"): "0 30 60 90 120 150 180 210 240 270 300",
        ("success", "department_webhook"): "0x10",  # nothing ever sent
        ("failure", "department_webhook"): "0x10",
    }
    case = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "30s",
                "input_series": [
                    {"series": last.format(kind, c).replace("'", '"'), "values": values}
                    for (kind, c), values in series.items()
                ],
                "promql_expr_test": [
                    {
                        "expr": target["expr"],
                        "eval_time": "5m",
                        "exp_samples": [
                            {"labels": '{connector="telegram"}', "value": 300 - 60},
                            {"labels": '{connector="feedback_platform.answers"}', "value": -2},
                            {"labels": '{connector="department_webhook"}', "value": -1},
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "panel_test.yml"
    path.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    result = promtool("test", "rules", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert mapped == {-2.0: "никогда, только сбои", -1.0: "не использовался"}


def test_alert_texts_name_codes_in_russian_and_print_counts_whole():
    for path in (PROMETHEUS / "rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                texts = " ".join(rule.get("annotations", {}).values())
                # A code is shown only beside its name (the info series joined in).
                for code in ("source", "target", "connector", "department"):
                    if f"$labels.{code}" in texts:
                        assert "$labels.name" in texts, rule["alert"]
                if re.search(r"\b(source|target|connector)\b", rule["expr"]):
                    assert "group_left (name)" in rule["expr"], rule["alert"]
                    assert "$labels.name" in texts, rule["alert"]
                # increase() extrapolates: a count is printed whole, never "3.004".
                assert "$value }}" not in texts and "$value | humanize }}" not in texts, rule[
                    "alert"
                ]


def test_every_panel_has_its_own_description():
    """A description copied from another panel describes the wrong figure."""
    dashboard = json.loads((GRAFANA / "dashboards" / "sla-overview.json").read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    seen: dict[str, str] = {}
    for panel in panels:
        assert panel["description"] not in seen, (panel["title"], seen.get(panel["description"]))
        seen[panel["description"]] = panel["title"]
    previous = _panel("В срок в прошлом месяце")
    assert (
        previous["timeShift"] == "1M/M" and "прошлый календарный месяц" in previous["description"]
    )
    assert "текущий календарный месяц" in _panel("В срок в этом месяце")["description"]
