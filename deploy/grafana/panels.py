"""Panel parts the dashboards share: queries, the department filter and names, Russian legends.

Every panel has a unit; every time series panel names its axis; no panel puts two measures on
one axis. Departments are codes in the series: ``named()`` joins ``appeals_department_info`` so
legends show the city's names, and ``$department`` (codes, shown by name) filters them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from grafana_foundation_sdk.builders import bargauge, stat, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import QueryVariable, ThresholdsConfig
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.models.common import (
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
    VizOrientation,
)
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
)

from app.metrics import names

DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")
# The selector of the departments chosen in $department (all by default).
DEPT = 'department=~"$department"'

# Legends of codes the city does not name in its config (Grafana "displayName" overrides): the
# names the hub's info series carry for the alerts (app/metrics/names.py), one list for both.
SOURCE_NAMES = names.SOURCE_NAMES
CONNECTOR_NAMES = names.CONNECTOR_NAMES
TARGET_NAMES = names.OUTBOX_TARGET_NAMES


def query(expr: str, legend: str, ref: str = "A", *, instant: bool = False) -> Dataquery:
    q = Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE).legend_format(legend)
    return q.instant() if instant else q


def named(expr: str) -> str:
    """``expr`` (by department) with the department's name as label ``name``."""
    return f"({expr}) * on (department) group_left (name) appeals_department_info"


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


def last_value() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["lastNotNull"]).values(False)


P = TypeVar("P", timeseries.Panel, stat.Panel, bargauge.Panel)


def display_names(panel: P, names: Mapping[str, str]) -> P:
    """Show each code's Russian name where a legend is the bare code."""
    for code, name in names.items():
        panel = panel.override_by_name(code, [DynamicConfigValue(id_val="displayName", value=name)])
    return panel


def series(
    title: str, description: str, *, unit: str, axis: str, span: int = 12, height: int = 8
) -> timeseries.Panel:
    """A time series panel: one measure, its unit, its axis named."""
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .axis_label(axis)
        .min(0)
        .height(height)
        .span(span)
        .datasource(DATASOURCE)
        .legend(legend_table())
    )


def figure(
    title: str, description: str, *, unit: str, span: int = 6, height: int = 5
) -> stat.Panel:
    """One number (the last value), without a sparkline."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(height)
        .span(span)
        .datasource(DATASOURCE)
        .reduce_options(last_value())
        .graph_mode(BigValueGraphMode.NONE)
    )


def bars(
    title: str, description: str, *, unit: str, span: int = 12, height: int = 8
) -> bargauge.Panel:
    """Horizontal bars, one per series (the last value)."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(height)
        .span(span)
        .datasource(DATASOURCE)
        .orientation(VizOrientation.HORIZONTAL)
        .reduce_options(last_value())
    )


def department_variable() -> QueryVariable:
    """``$department``: the city's departments by name; the values are their codes."""
    return (
        QueryVariable("department")
        .label("Отдел")
        .datasource(DATASOURCE)
        .query("query_result(appeals_department_info)")
        .regex('/department="(?<value>[^"]+)".*name="(?<text>[^"]+)"/')
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
    )
