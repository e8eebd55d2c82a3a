"""The text exposition (pure): every declared family described, escaping, histograms completed
from the store's rows, nothing exposed that the catalog does not declare."""

from __future__ import annotations

import shutil
import subprocess

from prometheus_client.parser import text_string_to_metric_families

from app.metrics import catalog
from app.metrics.exposition import render
from app.metrics.store import histogram_updates


def check(text: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is installed by scripts/install-test-deps.sh (make test-deps)"
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def families(text: str) -> dict[str, tuple[str, str, int]]:
    """Family name as served -> (type, help, number of samples)."""
    out = {}
    for family in text_string_to_metric_families(text):
        name = family.name + "_total" if family.type == "counter" else family.name
        out[name] = (family.type, family.documentation, len(family.samples))
    return out


def test_every_business_family_is_described_before_it_has_samples():
    text = render([])
    business = {f.name: f for f in catalog.FAMILIES if f.where != "process"}
    assert families(text) == {name: (f.type, f.help, 0) for name, f in business.items()}
    assert "appeals_http_request_duration_seconds" not in text  # a per-process series
    names = [line.split()[2] for line in text.splitlines() if line.startswith("# HELP")]
    assert names == sorted(business)
    check(text)


def test_label_values_are_escaped_and_parse_back():
    tricky = 'Отдел "ЖКХ"\\новый\nкорпус'
    rows = [(catalog.TICKETS_ROUTED.name, {"department": tricky, "method": "x"}, 2.0)]
    text = render(rows)
    routed = next(
        f for f in text_string_to_metric_families(text) if f.name == "appeals_tickets_routed"
    )
    assert routed.type == "counter"
    assert [(s.name, s.labels, s.value) for s in routed.samples] == [
        ("appeals_tickets_routed_total", {"department": tricky, "method": "x"}, 2.0)
    ]
    check(text)


def test_series_the_catalog_does_not_declare_are_not_exposed():
    rows = [
        ("appeals_things_done_total", {"how": "fast"}, 3.0),
        ("appeals_queue_depth", {}, 7.0),
        # A declared name with other label names than declared is left out too.
        (catalog.TICKETS_BOUNCING.name, {"department": "roads", "extra": "x"}, 5.0),
        (catalog.TICKETS_BOUNCING.name, {"department": "roads"}, 1.0),
    ]
    text = render(rows)
    assert "appeals_things_done_total" not in text
    assert "appeals_queue_depth" not in text
    assert "extra=" not in text
    assert 'appeals_tickets_bouncing_total{department="roads"} 1.0\n' in text
    assert families(text) == families(render([rows[-1]]))
    check(text)


def test_samples_are_listed_by_their_sorted_label_pairs():
    rows = [
        (catalog.TICKETS_OVERDUE.name, {"target": "resolution", "department": "zhkh"}, 0.0),
        (catalog.TICKETS_OVERDUE.name, {"department": "roads", "target": "resolution"}, 4.0),
        (catalog.TICKETS_OVERDUE.name, {"department": "roads", "target": "first_response"}, 1.0),
    ]
    lines = [line for line in render(rows).splitlines() if line.startswith("appeals_tickets_ov")]
    assert lines == [
        'appeals_tickets_overdue{department="roads",target="first_response"} 1.0',
        'appeals_tickets_overdue{department="roads",target="resolution"} 4.0',
        'appeals_tickets_overdue{department="zhkh",target="resolution"} 0.0',
    ]


def test_histogram_rows_become_a_complete_cumulative_histogram():
    # Two observations as the store keeps them: only the buckets they fell in have rows.
    rows: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for value in (1000.0, 5000.0):
        for name, labels, inc in histogram_updates(
            catalog.FIRST_RESPONSE, {"kind": "social_post"}, value
        ):
            key = (name, tuple(sorted(labels.items())))
            rows[key] = rows.get(key, 0.0) + inc
    lab = (("kind", "social_post"),)
    assert ("appeals_first_response_seconds_bucket", (*lab, ("le", "300.0"))) not in rows
    text = render([(n, dict(labels), v) for (n, labels), v in rows.items()])
    (family,) = (
        f for f in text_string_to_metric_families(text) if f.name == catalog.FIRST_RESPONSE.name
    )
    assert family.type == "histogram"
    buckets = [(s.labels["le"], s.value) for s in family.samples if s.name.endswith("_bucket")]
    assert [le for le, _ in buckets] == [
        *(str(float(b)) for b in catalog.DURATION_BUCKETS[:8]),
        "259200.0",
        "604800.0",
        "864000.0",
        "2.592e+06",
        "5.184e+06",
        "+Inf",
    ]
    assert buckets[-1] == ("+Inf", 2.0)
    values = [v for _, v in buckets]
    assert values == sorted(values)  # cumulative
    assert dict(buckets)["300.0"] == 0.0 and dict(buckets)["900.0"] == 0.0
    assert dict(buckets)["1800.0"] == 1.0 and dict(buckets)["7200.0"] == 2.0
    totals = {s.name: s.value for s in family.samples if not s.name.endswith("_bucket")}
    assert totals == {
        "appeals_first_response_seconds_count": 2.0,
        "appeals_first_response_seconds_sum": 6000.0,
    }
    check(text)
