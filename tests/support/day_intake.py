"""What the intake row of the dashboard must show after the scripted day, from the inbox as stored
(``inbound_deliveries``): what waits, what the pipeline finished, each delivery's receipt →
outcome time and its batch (the rows one batch finished share their ``processed_at``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from app.metrics.catalog import INTAKE_BATCH_SIZE, INTAKE_LATENCY
from tests.support.day_expected import COUNT, EXACT, SOURCES, approx, quantile
from tests.support.loop import inbox_drained, until

# The sources with signed webhooks: both gauges are exposed for them, at 0 when nothing waits.
INBOX_SOURCES = ("feedback_platform", "incident_management")
OUTCOMES = {
    "created": "новые обращения",
    "updated": "обновлены",
    "unchanged": "без изменений",
    "stale": "устаревшие снимки",
    "invalid": "в карантине",
}


@dataclass(frozen=True)
class Finished:
    """A delivery the pipeline finished (not a repeat, not one refused at receipt)."""

    outcome: str
    received_at: datetime
    processed_at: datetime


async def read_finished(db: Any) -> list[Finished]:
    """Once nothing waits in the inbox (the api's pipeline runs on its own), what it finished."""
    await until(lambda: inbox_drained(db), "the inbox to drain", limit=60)
    async with db.sessionmaker() as session:
        finished = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "SELECT outcome, received_at, processed_at FROM inbound_deliveries "
                    "WHERE processed_at IS NOT NULL AND outcome <> 'duplicate'"
                )
            )
        ).all()
    return [Finished(*row) for row in finished]


def intake_panels(finished: list[Finished]) -> dict[tuple[str, str], Any]:
    """(panel title, query ref) -> what each intake panel shows, by shown name."""
    # A delivery quarantined by the pipeline counts as an item, but is no latency or batch.
    made = [f for f in finished if f.outcome != "invalid"]
    waited = [max(0.0, (f.processed_at - f.received_at).total_seconds()) for f in made]
    batches = [float(n) for n in Counter(f.processed_at for f in made).values()]
    assert made, "the day's webhooks made tickets"
    nothing = {SOURCES[s]: 0.0 for s in INBOX_SOURCES}
    outcomes = dict.fromkeys(OUTCOMES.values(), 0.0)
    for f in finished:
        outcomes[OUTCOMES[f.outcome]] += 1
    lat, size = INTAKE_LATENCY.buckets, INTAKE_BATCH_SIZE.buckets
    return {
        ("Входящие в очереди на обработку", "A"): nothing,
        ("Старейшая необработанная доставка", "A"): nothing,
        ("Время от приёма до обращения", "A"): approx(
            {"медиана": quantile(0.5, waited, lat)}, EXACT
        ),
        ("Время от приёма до обращения", "B"): approx({"p95": quantile(0.95, waited, lat)}, EXACT),
        ("Размер пакета обработки входящих", "A"): approx(
            {"в среднем": sum(batches) / len(batches)}, EXACT
        ),
        ("Размер пакета обработки входящих", "B"): approx(
            {"p95": quantile(0.95, batches, size)}, EXACT
        ),
        ("Обработанные входящие в час по итогам", "A"): approx(outcomes, COUNT),
    }
