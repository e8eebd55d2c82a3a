"""/api/v1/sla-policies: admin CRUD; the city config's sla_policies: section; matching."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.directory.city_setup import apply_city_config
from tests.support.builders import auth, make_key, make_ticket

VLAT = ZoneInfo("Asia/Vladivostok")
URL = "/api/v1/sla-policies"
HEATING_CRITICAL = {
    "name": "heating_critical",
    "position": 5,
    "category": "heating",
    "priority": "critical",
    "first_response": {"value": 2, "unit": "working_hours"},
    "resolution": {"value": 1, "unit": "working_days"},
}


class TestSlaPolicies:
    async def test_config_defaults_are_loaded(self, client, db) -> None:
        token = await make_key(db, "admin")
        r = await client.get(URL, headers=auth(token))
        assert r.status_code == 200, r.text
        by_name = {p["name"]: p for p in r.json()}
        assert {"im_high", "im_other", "pos_message", "fz59_appeal", "chatbot_anonymous"} <= set(
            by_name
        )
        assert by_name["im_high"]["first_response"] == {"value": 4.0, "unit": "working_hours"}
        assert by_name["im_other"]["after_interim"] == {"value": 7.0, "unit": "working_days"}
        assert by_name["fz59_appeal"]["max_extension_days"] == 30
        assert {p["origin"] for p in r.json()} == {"config"}

    async def test_only_admins(self, client, db) -> None:
        for role, dept in (("operator", "roads"), ("manager", "roads")):
            token = await make_key(db, role, dept)
            assert (await client.get(URL, headers=auth(token))).status_code == 403
        assert (await client.get(URL)).status_code == 401

    async def test_create_match_update_delete(self, client, db) -> None:
        token = await make_key(db, "admin")
        r = await client.post(URL, json=HEATING_CRITICAL, headers=auth(token))
        assert r.status_code == 201, r.text
        policy = r.json()
        assert policy["origin"] == "api"
        assert (await client.post(URL, json=HEATING_CRITICAL, headers=auth(token))).status_code == (
            409
        )

        when = datetime(2026, 2, 2, 10, 0, tzinfo=VLAT)
        ticket = await make_ticket(
            db, category_code="heating", priority="critical", created_at=when, text="Нет отопления"
        )
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert datetime.fromisoformat(body["first_response_due_at"]) == when.replace(hour=12)

        changed = {k: v for k, v in HEATING_CRITICAL.items() if k != "name"}
        changed["first_response"] = {"value": 3, "unit": "working_hours"}
        r = await client.put(f"{URL}/{policy['id']}", json=changed, headers=auth(token))
        assert r.status_code == 200, r.text
        assert r.json()["first_response"]["value"] == 3
        # A running ticket keeps the deadlines it started with.
        body = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert datetime.fromisoformat(body["first_response_due_at"]) == when.replace(hour=12)

        assert (
            await client.delete(f"{URL}/{policy['id']}", headers=auth(token))
        ).status_code == 204
        assert (await client.get(f"{URL}/{policy['id']}", headers=auth(token))).status_code == 404

    async def test_invalid_policies_are_422(self, client, db) -> None:
        token = await make_key(db, "admin")
        bad = [
            {**HEATING_CRITICAL, "legal_dates": True},  # legal dates need calendar days
            {**HEATING_CRITICAL, "max_extension_days": 10},  # only 59-ФЗ policies extend
            {**HEATING_CRITICAL, "first_response": {"value": 0, "unit": "working_hours"}},
            {**HEATING_CRITICAL, "first_response": {"value": 1, "unit": "fortnights"}},
            {**HEATING_CRITICAL, "name": "Not A Slug"},
            {**HEATING_CRITICAL, "first_response": {"value": 10_000, "unit": "working_days"}},
            {**HEATING_CRITICAL, "resolution": {"value": 0.5, "unit": "calendar_days"}},
        ]
        for body in bad:
            r = await client.post(URL, json=body, headers=auth(token))
            assert r.status_code == 422, body
        r = await client.put(f"{URL}/{2**64}", json={}, headers=auth(token))
        assert r.status_code == 422

    async def test_reapplying_the_config_keeps_api_policies(self, client, db, city_config) -> None:
        token = await make_key(db, "admin")
        await client.post(URL, json=HEATING_CRITICAL, headers=auth(token))
        async with db.sessionmaker() as session:
            counts = await apply_city_config(session, city_config)
            await session.commit()
        assert "sla_policies_created" not in counts and "sla_policies_updated" not in counts
        names = {p["name"] for p in (await client.get(URL, headers=auth(token))).json()}
        assert "heating_critical" in names and "im_high" in names

    async def test_config_section_updates_and_removes_its_own(
        self, client, db, city_config
    ) -> None:
        token = await make_key(db, "admin")
        edited = city_config.model_copy(deep=True)
        policies = [p for p in edited.model_extra["sla_policies"] if p["name"] != "default"]
        policies[0] = {**policies[0], "first_response": {"value": 3, "unit": "working_hours"}}
        edited.model_extra["sla_policies"] = policies
        async with db.sessionmaker() as session:
            counts = await apply_city_config(session, edited)
            await session.commit()
        assert counts["sla_policies_updated"] == 1
        assert counts["sla_policies_removed"] == 1
        by_name = {p["name"]: p for p in (await client.get(URL, headers=auth(token))).json()}
        assert "default" not in by_name
        assert by_name[policies[0]["name"]]["first_response"]["value"] == 3
