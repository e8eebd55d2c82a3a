"""The text exposition (pure): HELP/TYPE, escaping, histograms completed from the store's rows."""

from __future__ import annotations

import shutil
import subprocess

from prometheus_client.parser import text_string_to_metric_families

from app.metrics.exposition import exposition
from app.metrics.store import histogram_updates


def check(text: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is installed by scripts/install-test-deps.sh (make test-deps)"
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_label_values_are_escaped_and_parse_back():
    tricky = 'Отдел "ЖКХ"\\новый\nкорпус'
    text = exposition([("appeals_tickets_routed_total", {"department": tricky, "method": "x"}, 2)])
    (family,) = text_string_to_metric_families(text)
    assert family.type == "counter"
    assert family.samples[0].labels["department"] == tricky
    check(text)


def test_unknown_families_get_a_type_from_their_name():
    text = exposition(
        [
            ("appeals_things_done_total", {"how": "fast"}, 3),
            ("appeals_queue_depth", {}, 7),
        ]
    )
    assert "# TYPE appeals_things_done_total counter" in text
    assert "# TYPE appeals_queue_depth gauge" in text
    check(text)


def test_histogram_rows_become_a_complete_cumulative_histogram():
    # Two observations as the store keeps them: only the buckets they fell in have rows.
    rows: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for value in (1000.0, 5000.0):
        for name, labels, inc in histogram_updates(
            "appeals_first_response_seconds", {"source": "api"}, value
        ):
            key = (name, tuple(sorted(labels.items())))
            rows[key] = rows.get(key, 0.0) + inc
    assert (
        "appeals_first_response_seconds_bucket",
        (("le", "300.0"), ("source", "api")),
    ) not in rows
    text = exposition([(n, dict(lab), v) for (n, lab), v in rows.items()])
    (family,) = text_string_to_metric_families(text)
    assert family.type == "histogram"
    buckets = [(s.labels["le"], s.value) for s in family.samples if s.name.endswith("_bucket")]
    assert buckets[-1] == ("+Inf", 2.0)
    values = [v for _, v in buckets]
    assert values == sorted(values)  # cumulative
    assert dict(buckets)["300.0"] == 0.0 and dict(buckets)["900.0"] == 0.0
    assert dict(buckets)["1800.0"] == 1.0 and dict(buckets)["7200.0"] == 2.0
    check(text)
