"""Grafana dashboards as code (grafana-foundation-sdk); writes deploy/grafana/dashboards/*.json.

    .venv/bin/python deploy/grafana/build_dashboards.py          # regenerate the JSON
    .venv/bin/python deploy/grafana/build_dashboards.py --check  # fail if the JSON is stale

Queries use fixed windows (no Grafana macros) so the real-Prometheus test can run each of them
as written. Business volumes are a few hundred tickets a day, so rates use hours and days.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row, ThresholdsConfig
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement
from grafana_foundation_sdk.models.dashboard import DataSourceRef, Threshold, ThresholdsMode

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")


def query(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> Dataquery:
    q = Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        q = q.legend_format(legend)
    return q.instant() if instant else q


def thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=v, color=c) for v, c in steps])
    )


def legend_table() -> VizLegendOptions:
    return (
        VizLegendOptions()
        .display_mode(LegendDisplayMode.TABLE)
        .placement(LegendPlacement.RIGHT)
        .show_legend(True)
    )


def percentiles(metric: str, title: str) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit("s").height(8).span(12).datasource(DATASOURCE)
    for ref, q in (("A", "0.5"), ("B", "0.9")):
        panel = panel.with_target(
            query(
                f"histogram_quantile({q}, sum by (le, department) (increase({metric}_bucket[7d])))",
                f"p{int(float(q) * 100)} {{{{department}}}}",
                ref,
            )
        )
    return panel.legend(legend_table())


FEEDBACK_30D = "increase(appeals_citizen_feedback_total[30d])"
POSITIVE_30D = 'increase(appeals_citizen_feedback_total{sentiment="positive"}[30d])'


def sla_overview() -> Dashboard:
    """The managers' view: deadlines kept, work open, answers' speed, the pipes' health."""
    last = ReduceDataOptions().calcs(["lastNotNull"]).values(False)
    return (
        Dashboard("SLA overview")
        .uid("appeals-sla-overview")
        .tags(["appeals", "sla"])
        .description("Citizen appeals: SLA, open work, answer times, inbound and outbound.")
        .timezone("browser")
        .time("now-7d", "now")
        .refresh("1m")
        .with_row(Row("Deadlines"))
        .with_panel(
            bargauge.Panel()
            .title("On time, last 30 days, by department")
            .description(
                "Final answers given within the resolution target (1 - breaches / answers)."
            )
            .unit("percentunit")
            .min(0)
            .max(1)
            .height(8)
            .span(12)
            .datasource(DATASOURCE)
            .reduce_options(last)
            .thresholds(thresholds((None, "red"), (0.8, "orange"), (0.95, "green")))
            .with_target(query("appeals:sla_on_time:ratio30d", "{{department}}", instant=True))
        )
        .with_panel(
            stat.Panel()
            .title("Breached now (open, past due)")
            .height(4)
            .span(6)
            .datasource(DATASOURCE)
            .reduce_options(last)
            .thresholds(thresholds((None, "green"), (1, "red")))
            .with_target(query("sum(appeals_tickets_overdue)", "overdue"))
        )
        .with_panel(
            stat.Panel()
            .title("Reached 75 % of a target, last 24 h")
            .height(4)
            .span(6)
            .datasource(DATASOURCE)
            .reduce_options(last)
            .thresholds(thresholds((None, "green"), (1, "orange")))
            .with_target(query("sum(increase(appeals_sla_at_risk_total[24h]))", "at risk"))
        )
        .with_panel(
            table.Panel()
            .title("Overdue and breaches (24 h) by department")
            .height(4)
            .span(12)
            .datasource(DATASOURCE)
            .with_target(
                query("sum by (department) (appeals_tickets_overdue)", "{{department}}", "A", True)
            )
            .with_target(
                query(
                    "sum by (department, target) (increase(appeals_sla_breaches_total[24h]))",
                    "{{department}} {{target}}",
                    "B",
                    True,
                )
            )
        )
        .with_row(Row("Open work"))
        .with_panel(
            timeseries.Panel()
            .title("Open tickets by status and department")
            .height(9)
            .span(24)
            .datasource(DATASOURCE)
            .legend(legend_table())
            .with_target(
                query(
                    "sum by (department, status) (appeals_tickets_open)",
                    "{{department}} / {{status}}",
                )
            )
        )
        .with_row(Row("Answer times"))
        .with_panel(percentiles("appeals_first_response_seconds", "First response, p50 / p90"))
        .with_panel(percentiles("appeals_resolution_seconds", "Resolution, p50 / p90"))
        .with_row(Row("Удовлетворённость"))
        .with_panel(
            stat.Panel()
            .title("Положительные отзывы, 30 дней")
            .unit("percentunit")
            .height(6)
            .span(8)
            .datasource(DATASOURCE)
            .thresholds(thresholds((None, "red"), (0.5, "orange"), (0.7, "green")))
            .with_target(query(f"sum({POSITIVE_30D}) / sum({FEEDBACK_30D})", "доля", instant=True))
        )
        .with_panel(
            timeseries.Panel()
            .title("Доля положительных отзывов по отделам (скользящие 7 дней: тренд)")
            .unit("percentunit")
            .height(6)
            .span(16)
            .datasource(DATASOURCE)
            .legend(legend_table())
            .with_target(
                query(
                    "sum by (department) (increase(appeals_citizen_feedback_total"
                    '{sentiment="positive"}[7d])) / sum by (department) '
                    "(increase(appeals_citizen_feedback_total[7d]))",
                    "{{department}}",
                )
            )
        )
        .with_panel(
            table.Panel()
            .title("Отзывы по отделам и оценке, 30 дней")
            .height(7)
            .span(12)
            .datasource(DATASOURCE)
            .with_target(
                query(
                    "sum by (department, sentiment) (increase(appeals_citizen_feedback_total[30d]))",
                    instant=True,
                )
            )
        )
        .with_panel(
            stat.Panel()
            .title("Ответы без отзыва, 30 дней")
            .unit("percentunit")
            .height(7)
            .span(12)
            .datasource(DATASOURCE)
            .with_target(
                query(
                    f"clamp_min(1 - sum({FEEDBACK_30D}) / "
                    "sum(increase(appeals_resolution_seconds_count[30d])), 0)",
                    "доля",
                    instant=True,
                )
            )
        )
        .with_row(Row("Inbound and outbound"))
        .with_panel(
            timeseries.Panel()
            .title("Inbound tickets per hour by source and channel")
            .height(8)
            .span(12)
            .datasource(DATASOURCE)
            .legend(legend_table())
            .with_target(
                query(
                    "sum by (source, channel) (increase(appeals_tickets_received_total[1h]))",
                    "{{source}} / {{channel}}",
                )
            )
        )
        .with_panel(
            timeseries.Panel()
            .title("Outbox backlog")
            .height(8)
            .span(12)
            .datasource(DATASOURCE)
            .with_target(
                query("sum by (state) (appeals_outbox_backlog_messages)", "{{state}}", "A")
            )
            .with_target(
                query(
                    'max(appeals_outbox_oldest_pending_age_seconds{state=~"pending|sending"}) / 60',
                    "oldest pending, min",
                    "B",
                )
            )
        )
        .with_panel(
            bargauge.Panel()
            .title("Connector freshness (since last success)")
            .unit("s")
            .height(6)
            .span(12)
            .datasource(DATASOURCE)
            .reduce_options(last)
            .thresholds(thresholds((None, "green"), (3600, "orange"), (3 * 3600, "red")))
            .with_target(
                query(
                    "time() - max by (connector) "
                    "(appeals_connector_last_success_timestamp_seconds)",
                    "{{connector}}",
                    instant=True,
                )
            )
        )
        .with_panel(
            timeseries.Panel()
            .title("API 5xx share and p95 latency")
            .height(6)
            .span(12)
            .datasource(DATASOURCE)
            .with_target(query("appeals:http_5xx:ratio_rate5m", "5xx share", "A"))
            .with_target(
                query(
                    "histogram_quantile(0.95, sum by (le) "
                    "(rate(appeals_http_request_duration_seconds_bucket[5m])))",
                    "p95 seconds",
                    "B",
                )
            )
        )
    )


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
