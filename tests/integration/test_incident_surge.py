"""Surge detection on the database: a wave opens one suspected incident with exactly its
tickets; unrelated tickets stay out; a quiet history raises nothing; new tickets join."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from app.incidents.detection import DEFAULT_RULES, Baseline, judge
from app.incidents.surge import join_new_tickets
from app.metrics import store as metrics_store
from app.models.incidents import IncidentTicket
from tests.support.builders import make_ticket
from tests.support.incidents import run_detection, wave, wave_ticket


async def _linked(db, incident_id: int) -> dict[int, str]:
    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(IncidentTicket).where(
                IncidentTicket.incident_id == incident_id,
                col(IncidentTicket.unlinked_at).is_(None),
            )
        )
        return {r.ticket_id: r.linked_by for r in rows.all()}


async def _counter(db, name: str) -> dict[tuple, float]:
    async with db.sessionmaker() as session:
        return {
            tuple(sorted(labels.items())): v
            for n, labels, v in await metrics_store.read_all(session)
            if n == name
        }


async def test_a_wave_opens_one_suspected_incident_with_exactly_its_tickets(db):
    now = datetime.now(UTC)
    burst = await wave(db, 12, now=now)
    # Unrelated: roads in the same district, water in another district, and an old water one.
    roads = [
        await make_ticket(
            db, category_code="roads", district_code="center", now=now - timedelta(minutes=m)
        )
        for m in (5, 15, 25, 35, 45)
    ]
    north = [
        await make_ticket(
            db, category_code="water", district_code="north", now=now - timedelta(minutes=m)
        )
        for m in (10, 20, 30)
    ]
    old = await make_ticket(
        db, category_code="water", district_code="center", now=now - timedelta(hours=5)
    )

    opened = await run_detection(db, now)

    assert len(opened) == 1
    incident = opened[0]
    assert incident.status == "suspected" and incident.district_code == "center"
    assert incident.family == "water" and incident.opened_by == "rule"
    linked = await _linked(db, incident.id)
    assert set(linked) == {t.id for t in burst}
    assert set(linked.values()) == {"rule"}
    assert not set(linked) & {t.id for t in [*roads, *north, old]}
    assert incident.ticket_count == 12
    assert "ленин" in incident.streets and "ленин 1" in incident.houses
    assert incident.detection["count"] == 12 and incident.detection["p_value"] < 1e-6
    assert (await _counter(db, "appeals_incident_tickets_total"))[(("how", "rule"),)] == 12

    # A second pass opens nothing more; a new water ticket in the district joins the incident.
    later = await wave_ticket(db, 40, at=now + timedelta(minutes=2))
    assert await run_detection(db, now + timedelta(minutes=3)) == []
    assert later.id in await _linked(db, incident.id)


async def test_a_busy_hour_that_is_usual_for_the_cell_raises_nothing(db):
    """Seven tickets in an hour open an incident in an empty cell (above), not in one that
    gets about six at this hour every day of the last four weeks."""
    now = datetime.now(UTC)
    for day in range(1, 29):
        for m in (5, 15, 25, 35, 45, 55):
            at = now - timedelta(days=day, minutes=m)
            await make_ticket(db, category_code="water", district_code="center", now=at)
    for m in (5, 10, 20, 30, 40, 50, 55):
        await make_ticket(
            db, category_code="water", district_code="center", now=now - timedelta(minutes=m)
        )
    assert await run_detection(db, now) == []


async def test_the_intake_hook_joins_new_tickets_of_an_open_incident_only(db):
    now = datetime.now(UTC)
    await wave(db, 8, now=now)
    [incident] = await run_detection(db, now)
    same_street_no_district = await wave_ticket(
        db, 50, at=now, district_code=None, address="ул. Ленина, 77"
    )
    other_problem = await make_ticket(db, category_code="roads", district_code="center", now=now)
    other_district = await make_ticket(db, category_code="water", district_code="south", now=now)
    too_late = await wave_ticket(db, 51, at=now + timedelta(hours=13))
    async with db.sessionmaker() as session:
        ids = [same_street_no_district.id, other_problem.id, other_district.id, too_late.id]
        assert await join_new_tickets(session, ids) == 1
        await session.commit()
    linked = await _linked(db, incident.id)
    assert same_street_no_district.id in linked
    assert not {other_problem.id, other_district.id, too_late.id} & set(linked)


async def test_loud_posts_open_an_incident_flagged_as_an_info_risk(db):
    """Four high-priority posts with many related posts: below the plain count of six, above
    it weighted; the incident carries the info-risk flag."""
    now = datetime.now(UTC)
    loud = {"related_posts": [f"https://vk.com/wall-1_{i}" for i in range(8)]}
    for n in range(4):
        await wave_ticket(db, 3 * n, at=now - timedelta(minutes=5 * n), priority="high", extra=loud)
    [incident] = await run_detection(db, now)
    assert incident.info_risk and incident.info_risk_score == 12.0
    assert incident.detection["count"] == 4 and incident.detection["weighted"] == 16.0


async def test_a_young_hub_calls_no_busy_hour_everywhere_a_surge(db):
    """A hub with no history (a demo's first minutes, a city's first day): the same problem
    arriving in every district is busy, not an outage; the same count in one district while
    the others are quiet is one."""
    now = datetime.now(UTC)
    step = timedelta(minutes=40) / 12
    for district in ("center", "north", "south"):
        for n in range(12):
            at = now - timedelta(minutes=40) + step * n
            await wave_ticket(db, n, at=at, district_code=district, address=None)
    assert await run_detection(db, now) == []


async def test_the_verdict_of_a_young_cell_needs_contrast():
    young = Baseline(tickets=0, hours=672, mature=False)
    assert judge([1.0] * 12, young, DEFAULT_RULES, elsewhere=0.0).surge
    assert not judge([1.0] * 12, young, DEFAULT_RULES, elsewhere=6.0).surge
    old = Baseline(tickets=0, hours=672, mature=True)
    assert judge([1.0] * 12, old, DEFAULT_RULES, elsewhere=6.0).surge


async def test_a_young_busy_hub_is_not_surprised_by_a_few():
    """Five tickets of a rare problem in one district, in an hour when the city took hundreds:
    a young hub expects at least its even share (here 10), so no surge; a quiet hour, one."""
    young = Baseline(tickets=0, hours=672, mature=False)
    assert not judge([1.0, 2.0, 2.0, 1.0, 1.0], young, DEFAULT_RULES, share=10.0).surge
    assert judge([1.0, 2.0, 2.0, 1.0, 1.0], young, DEFAULT_RULES, share=0.1).surge
