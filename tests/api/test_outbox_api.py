"""Admin API of the outbox: list with filters and pages, replay only dead letters, admins only."""

from __future__ import annotations

import uuid

from app.models.outbox import OutboxMessage
from app.outbox import service as outbox
from tests.support.builders import auth, make_key, make_ticket


async def enqueue(db, n: int, *, state: str = "pending") -> list[int]:  # type: ignore[no-untyped-def]
    ticket = await make_ticket(
        db,
        source="incident_management",
        source_id=f"vk.com/wall-1_{uuid.uuid4().hex[:8]}",
        kind="social_post",
        channel="vk",
    )
    ids = []
    async with db.sessionmaker() as session:
        for i in range(n):
            m = await outbox.enqueue(
                session, target="incident_management", kind="status",
                payload={"source_id": ticket.source_id, "i": i}, ticket=ticket,
            )  # fmt: skip
            m.state = state
            ids.append(m.id)
        await session.commit()
    return ids


class TestList:
    async def test_admin_lists_dead_letters_newest_first_in_pages(self, client, db):
        dead = await enqueue(db, 3, state="dead")
        await enqueue(db, 2, state="sent")
        admin = await make_key(db, "admin")
        r = await client.get(
            "/api/v1/outbox", params={"state": "dead", "limit": 2}, headers=auth(admin)
        )
        assert r.status_code == 200
        page = r.json()
        assert [m["id"] for m in page["items"]] == [dead[2], dead[1]]
        assert page["items"][0]["state"] == "dead" and page["items"][0]["target"] == (
            "incident_management"
        )
        r = await client.get(
            "/api/v1/outbox",
            params={"state": "dead", "limit": 2, "cursor": page["next_cursor"]},
            headers=auth(admin),
        )
        assert [m["id"] for m in r.json()["items"]] == [dead[0]]
        assert r.json()["next_cursor"] is None

    async def test_payloads_are_not_exposed_in_the_list(self, client, db):
        await enqueue(db, 1)
        admin = await make_key(db, "admin")
        r = await client.get("/api/v1/outbox", headers=auth(admin))
        assert "payload" not in r.json()["items"][0]

    async def test_staff_of_a_department_may_not(self, client, db):
        operator = await make_key(db, "operator", "roads")
        r = await client.get("/api/v1/outbox", headers=auth(operator))
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_unknown_state_is_422(self, client, db):
        admin = await make_key(db, "admin")
        r = await client.get("/api/v1/outbox", params={"state": "lost"}, headers=auth(admin))
        assert r.status_code == 422


class TestReplay:
    async def test_only_dead_messages_are_replayed(self, client, db):
        [pending] = await enqueue(db, 1)
        admin = await make_key(db, "admin")
        r = await client.post(f"/api/v1/outbox/{pending}/replay", headers=auth(admin))
        assert r.status_code == 409
        assert r.json()["state"] == "pending"

    async def test_replay_resets_attempts_and_keeps_the_id(self, client, db):
        [dead] = await enqueue(db, 1, state="dead")
        async with db.sessionmaker() as session:
            row = await session.get(OutboxMessage, dead)
            assert row is not None
            row.attempts, before = 7, row.idempotency_id
            await session.commit()
        admin = await make_key(db, "admin")
        r = await client.post(f"/api/v1/outbox/{dead}/replay", headers=auth(admin))
        assert r.status_code == 200
        body = r.json()
        assert (body["state"], body["attempts"], body["idempotency_id"]) == ("pending", 0, before)

    async def test_missing_message_is_404(self, client, db):
        admin = await make_key(db, "admin")
        r = await client.post("/api/v1/outbox/999999/replay", headers=auth(admin))
        assert r.status_code == 404


async def test_readyz_shows_connector_health(client, db):
    from datetime import UTC, datetime

    from app.intake import connector_health

    async with db.sessionmaker() as session:
        await connector_health.record_success(
            session, "feedback_platform.answers", now=datetime.now(UTC)
        )
        await connector_health.record_failure(
            session, "feedback_platform.poll", reason="auth_failed", now=datetime.now(UTC)
        )
        await session.commit()
    r = await client.get("/readyz")
    connectors = r.json()["checks"]["connectors"]
    assert connectors["feedback_platform.answers"]["last_success_at"] is not None
    assert connectors["feedback_platform.poll"]["failures"] == {"auth_failed": 1}
    assert connectors["feedback_platform.poll"]["last_failure_reason"] == "auth_failed"
