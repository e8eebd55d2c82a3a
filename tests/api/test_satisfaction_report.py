"""The satisfaction report on a seeded set, with the expected figures computed in the test."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from tests.support.builders import auth, make_key, make_ticket

SCORES = {"positive": 5, "neutral": 3, "negative": 1}


async def seed(client, db, rng: random.Random):
    """Answer tickets in two departments; give some of them feedback. Returns the plan."""
    plan = []
    tokens = {d: await make_key(db, "operator", d) for d in ("roads", "zhkh")}
    for i in range(24):
        dept = "roads" if i % 3 else "zhkh"
        ticket = await make_ticket(db, category_code="roads" if dept == "roads" else "water")
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/answers",
            json={"text": "Сделано", "kind": "final"},
            headers=auth(tokens[dept]),
        )
        assert r.status_code == 201, r.text
        sentiment = rng.choice([None, "positive", "positive", "neutral", "negative"])
        if sentiment:
            r = await client.post(
                f"/api/v1/tickets/{ticket.id}/feedback",
                json={"score": SCORES[sentiment], "sentiment": sentiment},
                headers=auth(tokens[dept]),
            )
            assert r.status_code in (200, 201), r.text
        plan.append((dept, sentiment))
    return plan


def expected(plan):
    by = defaultdict(
        lambda: {"answered": 0, "feedback": 0, "positive": 0, "negative": 0, "scores": []}
    )
    for dept, sentiment in plan:
        row = by[dept]
        row["answered"] += 1
        if sentiment:
            row["feedback"] += 1
            row["scores"].append(SCORES[sentiment])
            row["positive"] += sentiment == "positive"
            row["negative"] += sentiment == "negative"
    return by


async def test_report_figures_match_the_seeded_set(client, db):
    plan = await seed(client, db, random.Random(7))
    admin = await make_key(db, "admin")
    now = datetime.now(UTC)
    params = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    r = await client.get("/api/v1/reports/satisfaction", params=params, headers=auth(admin))
    assert r.status_code == 200, r.text
    rows = {row["department"]: row for row in r.json()["rows"]}
    for dept, want in expected(plan).items():
        got = rows[dept]
        assert got["answered"] == want["answered"]
        assert got["feedback"] == want["feedback"]
        assert got["positive"] == want["positive"]
        assert got["satisfaction_percent"] == round(100 * want["positive"] / want["feedback"], 2)
        assert got["avg_score"] == round(sum(want["scores"]) / len(want["scores"]), 2)
        no_feedback = want["answered"] - want["feedback"]
        assert got["without_feedback"] == no_feedback
        assert got["without_feedback_percent"] == round(100 * no_feedback / want["answered"], 2)
        # Negative feedback (score 1) reopens the ticket: the reopen rate shows it.
        assert got["reopen_percent"] == round(100 * want["negative"] / want["answered"], 2)
        assert got["reopened"] == want["negative"]
        judged, on_time = got["answered_judged"], got["answered_on_time"]
        assert judged == want["answered"]  # each answered ticket had a resolution deadline
        assert got["on_time_percent"] == round(100 * on_time / judged, 2)
    csv_text = (
        await client.get(
            "/api/v1/reports/satisfaction", params={**params, "format": "csv"}, headers=auth(admin)
        )
    ).text
    assert csv_text.splitlines()[0].startswith("department,month,feedback")
    assert len(csv_text.splitlines()) == 1 + len(rows)


async def test_manager_sees_own_department_only(client, db):
    manager = await make_key(db, "manager", "roads")
    operator = await make_key(db, "operator", "roads")
    now = datetime.now(UTC)
    params = {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}
    r = await client.get(
        "/api/v1/reports/satisfaction",
        params={**params, "department": "zhkh"},
        headers=auth(manager),
    )
    assert r.status_code == 403
    assert (
        await client.get("/api/v1/reports/satisfaction", params=params, headers=auth(operator))
    ).status_code == 403
    r = await client.get("/api/v1/reports/satisfaction", params=params, headers=auth(manager))
    assert r.status_code == 200 and all(row["department"] == "roads" for row in r.json()["rows"])
