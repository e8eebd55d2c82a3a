"""The business families as ``prometheus_client`` metric families, built from one scrape's rows.

Every business family declared in ``app.metrics.catalog`` is yielded, described even when it
has no samples yet; rows that no declared family names, or whose label names differ from the
declaration, are not exposed (logged once per process). Histograms are completed: the store
keeps only the buckets something fell into, the others are exposed as 0, and ``+Inf`` equals
``_count``.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping, Sequence

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from app.metrics import catalog
from app.metrics.catalog import Family

log = logging.getLogger(__name__)

# One series read for a scrape: (series name, labels, value); a histogram's series are its
# ``_bucket`` (with ``le``), ``_sum`` and ``_count``.
Row = tuple[str, Mapping[str, str], float]
# A row found in its family: (suffix, labels, value).
_Found = tuple[str, Mapping[str, str], float]


def _series_index() -> dict[str, tuple[Family, str]]:
    """Series name -> (its family, the suffix that names it there)."""
    index: dict[str, tuple[Family, str]] = {}
    for family in catalog.BUSINESS.values():
        suffixes = ("_bucket", "_sum", "_count") if family.type == "histogram" else ("",)
        for suffix in suffixes:
            index[family.name + suffix] = (family, suffix)
    return index


_SERIES = _series_index()


class BusinessCollector(Collector):
    """Yields every business family, in name order, from the rows one scrape read."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = rows

    def describe(self) -> list[Metric]:
        return [_family(family, ()) for family in catalog.BUSINESS.values()]

    def collect(self) -> list[Metric]:
        grouped: dict[str, list[_Found]] = {name: [] for name in catalog.BUSINESS}
        for name, labels, value in self.rows:
            found = _SERIES.get(name)
            if found is None:
                _not_exposed(name, "no family in app.metrics.catalog declares it")
                continue
            family, suffix = found
            grouped[family.name].append((suffix, labels, value))
        return [_family(family, grouped[name]) for name, family in catalog.BUSINESS.items()]


def _family(family: Family, rows: Sequence[_Found]) -> Metric:
    if family.type == "histogram":
        histogram = HistogramMetricFamily(family.name, family.help, labels=family.labels)
        for values, buckets, total in _histograms(family, rows):
            histogram.add_metric(values, buckets, total)
        return histogram
    kind = CounterMetricFamily if family.type == "counter" else GaugeMetricFamily
    metric = kind(family.name, family.help, labels=family.labels)
    for values, value in _samples(family, rows):
        metric.add_metric(values, value)
    return metric


@functools.cache
def _not_exposed(name: str, why: str) -> None:
    """Log a series left out of the exposition, once per process and reason."""
    log.warning("metric series %s is not exposed: %s", name, why)


def _label_values(
    family: Family, labels: Mapping[str, str], *, bucket: bool = False
) -> tuple[str, ...] | None:
    """The values of the declared labels in declaration order (a bucket also carries ``le``)."""
    if len(labels) == len(family.labels) + bucket and (not bucket or "le" in labels):
        try:
            return tuple([labels[name] for name in family.labels])
        except KeyError:
            pass
    _not_exposed(family.name, f"labels {sorted(labels)} are not {sorted(family.labels)}")
    return None


def _finite(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def _order(family: Family, values: tuple[str, ...]) -> list[tuple[str, str]]:
    """Samples are listed by their label pairs sorted by label name."""
    return sorted(zip(family.labels, values, strict=True))


def _samples(family: Family, rows: Sequence[_Found]) -> list[tuple[tuple[str, ...], float]]:
    found = {}
    for _, labels, value in rows:
        values = _label_values(family, labels)
        if values is not None:
            found[values] = _finite(value)
    return [(values, found[values]) for values in sorted(found, key=lambda v: _order(family, v))]


def _histograms(
    family: Family, rows: Sequence[_Found]
) -> list[tuple[tuple[str, ...], list[tuple[str, float]], float]]:
    """(label values, cumulative buckets ending with +Inf, sum) for each label set."""
    bounds = {float(b) for b in family.buckets}  # and any other a stored bucket row carries
    parsed: dict[str, float] = {}  # a stored "le" ("300.0") -> its bound
    series: dict[tuple[str, ...], dict[float | str, float]] = {}
    for suffix, labels, value in rows:
        bucket = suffix == "_bucket"
        values = _label_values(family, labels, bucket=bucket)
        if values is None:
            continue
        key: float | str = suffix
        if bucket:
            le = labels["le"]
            if le == "+Inf":
                key = le
            else:
                if le not in parsed:
                    parsed[le] = float(le)
                    bounds.add(parsed[le])
                key = parsed[le]
        series.setdefault(values, {})[key] = value
    les = [(bound, floatToGoString(bound)) for bound in sorted(bounds)]
    out = []
    for values in sorted(series, key=lambda v: _order(family, v)):
        entry = series[values]
        count = _finite(entry.get("_count", entry.get("+Inf", 0.0)))
        buckets = [(le, _finite(entry.get(bound, 0.0))) for bound, le in les]
        buckets.append(("+Inf", count))
        out.append((values, buckets, _finite(entry.get("_sum", 0.0))))
    return out
