"""`department` on the weekly digest answers like the SLA and satisfaction reports: a manager
asking for another department gets a 403 problem, never their own digest in its place."""

from __future__ import annotations

from tests.api.test_weekly_digest import day, seed
from tests.support.builders import auth, make_key

URL = "/api/v1/reports/weekly-digest"
PROBLEM = "application/problem+json"


async def test_another_departments_digest_is_403_like_the_other_reports(client, db, app):
    app.state.clock = lambda: day(9)
    await seed(db)
    zhkh = auth(await make_key(db, "manager", "zhkh"))
    week = {"week": "2026-W47"}
    r = await client.get(URL, params=week | {"department": "roads"}, headers=zhkh)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == PROBLEM
    for other in ("/api/v1/reports/sla", "/api/v1/reports/satisfaction"):
        r = await client.get(other, params={"department": "roads"}, headers=zhkh)
        assert r.status_code == 403, (other, r.text)
    own = await client.get(URL, params=week | {"department": "zhkh"}, headers=zhkh)
    assert own.status_code == 200 and own.json()["department"] == "zhkh"
    implied = await client.get(URL, params=week, headers=zhkh)
    assert implied.json()["department"] == "zhkh"


async def test_the_city_wide_readers_may_pick_one_department(client, db, app):
    app.state.clock = lambda: day(9)
    await seed(db)
    week = {"week": "2026-W47"}
    for key in (await make_key(db, "admin"), await make_key(db, "manager", "press")):
        whole = (await client.get(URL, params=week, headers=auth(key))).json()
        assert whole["department"] is None and whole["total"] == 6
        roads = await client.get(URL, params=week | {"department": "roads"}, headers=auth(key))
        assert roads.status_code == 200, roads.text
        assert roads.json()["department"] == "roads" and roads.json()["total"] == 3
