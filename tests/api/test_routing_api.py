"""Routing API: rules CRUD, dry run, creation through rules, re-routing and the bounce flag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.metrics import store as metrics_store
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key, make_ticket

RULE = {
    "name": "Ямы во дворах",
    "department": "roads",
    "categories": ["improvement"],
    "keywords": ["яма"],
    "position": 1,
}


async def _events(client, token: str, ticket_id: int) -> list[dict]:
    r = await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


class TestRulesCrud:
    async def test_config_rules_are_listed_in_order(self, client, db):
        token = await make_key(db, "operator", "press")
        r = await client.get("/api/v1/routing-rules", headers=auth(token))
        assert r.status_code == 200
        rules = r.json()
        assert rules and all(rule["origin"] == "config" for rule in rules)
        positions = [rule["position"] for rule in rules]
        assert positions == sorted(positions)

    async def test_admin_creates_reads_updates_deletes(self, client, db):
        admin = auth(await make_key(db, "admin"))
        r = await client.post("/api/v1/routing-rules", json=RULE, headers=admin)
        assert r.status_code == 201, r.text
        rule = r.json()
        assert rule["origin"] == "api" and rule["keywords"] == ["яма"]
        r = await client.get(f"/api/v1/routing-rules/{rule['id']}", headers=admin)
        assert r.json()["name"] == RULE["name"]
        r = await client.put(
            f"/api/v1/routing-rules/{rule['id']}",
            json={**RULE, "department": "blago", "enabled": False},
            headers=admin,
        )
        assert r.status_code == 200 and r.json()["department"] == "blago"
        assert r.json()["enabled"] is False
        r = await client.delete(f"/api/v1/routing-rules/{rule['id']}", headers=admin)
        assert r.status_code == 204
        r = await client.get(f"/api/v1/routing-rules/{rule['id']}", headers=admin)
        assert r.status_code == 404

    async def test_only_admins_write_and_references_are_checked(self, client, db):
        operator = auth(await make_key(db, "operator", "press"))
        r = await client.post("/api/v1/routing-rules", json=RULE, headers=operator)
        assert r.status_code == 403
        admin = auth(await make_key(db, "admin"))
        r = await client.post(
            "/api/v1/routing-rules", json={**RULE, "department": "nowhere"}, headers=admin
        )
        assert r.status_code == 422
        r = await client.post(
            "/api/v1/routing-rules", json={**RULE, "districts": ["atlantis"]}, headers=admin
        )
        assert r.status_code == 422 and "atlantis" in r.json()["detail"]
        assert (await client.post("/api/v1/routing-rules", json=RULE, headers=admin)).is_success
        r = await client.post("/api/v1/routing-rules", json=RULE, headers=admin)
        assert r.status_code == 409


class TestExplain:
    async def test_explains_rule_district_and_near_misses_without_creating(self, client, db):
        admin = auth(await make_key(db, "admin"))
        await client.post("/api/v1/routing-rules", json=RULE, headers=admin)
        payload = {
            "text": "Во дворе огромные ямы, машины бьют днище",
            "category": "improvement",
            "address": "улица Ленина, 5",
        }
        r = await client.post("/api/v1/routing/explain", json=payload, headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["department"] == "roads" and body["method"] == "rule"
        assert body["rule"]["name"] == RULE["name"]
        assert "«яма»" in body["reason"]
        assert (body["district"], body["district_found_by"]) == ("center", "address")

        r = await client.post(
            "/api/v1/routing/explain",
            json={**payload, "text": "Сломаны качели", "category": "improvement"},
            headers=admin,
        )
        body = r.json()
        assert (body["department"], body["method"]) == ("blago", "category")
        near = {n["rule"]["name"]: n["failed"] for n in body["near_misses"]}
        assert near[RULE["name"]] == ["keywords"]
        r = await client.get("/api/v1/tickets", headers=admin)
        assert r.json()["items"] == []

    async def test_unsorted_ticket_goes_by_config_keyword_rule(self, client, db):
        admin = auth(await make_key(db, "admin"))
        r = await client.post(
            "/api/v1/routing/explain",
            json={"text": "Под окнами яма с водой", "category": "other"},
            headers=admin,
        )
        assert (r.json()["department"], r.json()["method"]) == ("roads", "rule")
        r = await client.post(
            "/api/v1/routing/explain",
            json={"text": "Непонятно к кому обратиться", "category": "other"},
            headers=admin,
        )
        assert (r.json()["department"], r.json()["method"]) == ("press", "triage")


async def test_created_ticket_is_routed_by_rule_and_placed_in_district(client, db):
    admin = auth(await make_key(db, "admin"))
    await client.post("/api/v1/routing-rules", json=RULE, headers=admin)
    ticket = await make_ticket(
        db, text="Во дворе ямы", category_code="improvement", lat=44.57, lon=132.8
    )
    assert ticket.department_code == "roads" and ticket.district_code == "south"
    events = await _events(client, admin["Authorization"][7:], ticket.id)
    routed = next(e for e in events if e["type"] == "routed")["data"]
    assert routed["method"] == "rule" and routed["rule"]["name"] == RULE["name"]
    assert "«яма»" in routed["reason"] and routed["district"] == "south"


class TestRerouting:
    async def test_return_to_named_department_then_again_flags_bouncing(self, app, client, db):
        created = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
        ticket = await make_ticket(
            db, text="Сломаны качели", category_code="improvement", now=created
        )
        assert ticket.department_code == "blago"
        blago = auth(await make_key(db, "operator", "blago"))
        app.state.clock = lambda: created + timedelta(minutes=90)
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/return",
            json={"reason": "Это дорожники", "department": "roads"},
            headers=blago,
        )
        assert r.status_code == 200, r.text
        assert r.json()["department"] == "roads"
        # Gone from blago's view: another department's ticket is a 404.
        r = await client.get(f"/api/v1/tickets/{ticket.id}", headers=blago)
        assert r.status_code == 404

        roads = auth(await make_key(db, "operator", "roads"))
        app.state.clock = lambda: created + timedelta(minutes=120)
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/return", json={"reason": "Не наше"}, headers=roads
        )
        assert r.status_code == 200 and r.json()["department"] == "press"
        assert (r.json()["bouncing"], r.json()["reroute_count"]) == (True, 2)

        admin_token = await make_key(db, "admin")
        events = await _events(client, admin_token, ticket.id)
        rerouted = [e["data"] for e in events if e["type"] == "rerouted"]
        assert [(e["department_before"], e["department"]) for e in rerouted] == [
            ("blago", "roads"),
            ("roads", "press"),
        ]
        assert rerouted[0]["reason"] == "Это дорожники"
        # 90 minutes in blago, then 30 in roads.
        assert [e["seconds_in_department"] for e in rerouted] == [5400, 1800]
        assert [e["type"] for e in events].count("bouncing") == 1

        async with db.sessionmaker() as session:
            series = {
                (n, tuple(sorted(lab.items()))): v
                for n, lab, v in await metrics_store.read_all(session)
            }
        key = (("from_department", "blago"), ("how", "returned"), ("to_department", "roads"))
        assert series[("appeals_tickets_rerouted_total", key)] == 1
        assert series[("appeals_tickets_bouncing_total", (("department", "roads"),))] == 1

        async with db.sessionmaker() as session:
            stored = await session.get(Ticket, ticket.id)
            assert stored is not None and stored.bouncing and stored.reroute_count == 2

    async def test_triage_routes_and_others_may_not(self, client, db):
        ticket = await make_ticket(db, text="Непонятно что", category_code="other")
        assert ticket.department_code == "press"
        roads = auth(await make_key(db, "operator", "roads"))
        body = {"department": "zhkh", "reason": "Про отопление"}
        r = await client.post(f"/api/v1/tickets/{ticket.id}/route", json=body, headers=roads)
        assert r.status_code == 403
        press = auth(await make_key(db, "operator", "press"))
        r = await client.post(f"/api/v1/tickets/{ticket.id}/route", json=body, headers=press)
        assert r.status_code == 200, r.text
        assert (r.json()["department"], r.json()["status"]) == ("zhkh", "routed")
        admin_token = await make_key(db, "admin")
        events = await _events(client, admin_token, ticket.id)
        manual = [e["data"] for e in events if e["type"] == "routed"][-1]
        assert manual["method"] == "manual" and manual["reason"] == "Про отопление"
        # Leaving triage is not a re-route: nothing bounces.
        assert not [e for e in events if e["type"] in ("rerouted", "bouncing")]

    async def test_closed_ticket_cannot_move(self, client, db):
        ticket = await make_ticket(db, status="closed")
        admin = auth(await make_key(db, "admin"))
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/route",
            json={"department": "zhkh", "reason": "Попробуем"},
            headers=admin,
        )
        assert r.status_code == 422
