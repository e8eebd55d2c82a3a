"""Ticket reads and writes: ETag/If-Match, pagination, search, manual creation, idempotency."""

import asyncio
import base64
from datetime import datetime

import pytest
from sqlalchemy import update

from app.models.tickets import Ticket
from tests.support.builders import auth, make_key, make_ticket


async def set_due(db, ticket_id: int, due: datetime) -> None:
    """Pin a resolution deadline, independent of the SLA policies."""
    async with db.sessionmaker() as session:
        await session.exec(
            update(Ticket).where(Ticket.id == ticket_id).values(resolution_due_at=due)
        )
        await session.commit()


async def set_created(db, ticket_id: int, at: datetime) -> None:
    async with db.sessionmaker() as session:
        await session.exec(update(Ticket).where(Ticket.id == ticket_id).values(created_at=at))  # type: ignore[call-overload]
        await session.commit()


class TestOptimisticLocking:
    async def test_patch_without_if_match_is_428(self, client, db):
        token = await make_key(db, "operator", "roads")
        ticket = await make_ticket(db)
        r = await client.patch(
            f"/api/v1/tickets/{ticket.id}", json={"priority": "high"}, headers=auth(token)
        )
        assert r.status_code == 428
        assert r.headers["content-type"] == "application/problem+json"

    async def test_two_concurrent_writers_one_wins_one_gets_412(self, client, db):
        token = await make_key(db, "operator", "roads")
        ticket = await make_ticket(db)
        r = await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))
        etag = r.headers["etag"]

        async def write(priority: str):
            return await client.patch(
                f"/api/v1/tickets/{ticket.id}",
                json={"priority": priority},
                headers={**auth(token), "If-Match": etag},
            )

        first, second = await asyncio.gather(write("high"), write("low"))
        assert sorted([first.status_code, second.status_code]) == [200, 412]
        winner = first if first.status_code == 200 else second
        loser = second if winner is first else first
        assert loser.json()["current_version"] == 2
        final = await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))
        assert final.json()["priority"] == winner.json()["priority"]
        assert final.headers["etag"] == winner.headers["etag"] != etag

    async def test_patch_records_before_after(self, client, db):
        token = await make_key(db, "operator", "roads")
        ticket = await make_ticket(db)
        etag = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).headers[
            "etag"
        ]
        r = await client.patch(
            f"/api/v1/tickets/{ticket.id}",
            json={"priority": "critical", "district": "center"},
            headers={**auth(token), "If-Match": etag},
        )
        assert r.status_code == 200
        events = (
            await client.get(f"/api/v1/tickets/{ticket.id}/events", headers=auth(token))
        ).json()
        changes = events[-1]["data"]["changes"]
        assert changes["priority"] == {"before": "normal", "after": "critical"}
        assert changes["district"] == {"before": None, "after": "center"}
        assert events[-1]["actor"].startswith("key:")

    async def test_status_department_source_not_writable(self, client, db):
        token = await make_key(db, "operator", "roads")
        ticket = await make_ticket(db)
        for field, value in (("status", "closed"), ("department", "zhkh"), ("source", "api")):
            r = await client.patch(
                f"/api/v1/tickets/{ticket.id}",
                json={field: value},
                headers={**auth(token), "If-Match": f'"{ticket.id}-1"'},
            )
            assert r.status_code == 422, field
            assert r.json()["errors"][0]["field"].endswith(field)


class TestPagination:
    async def test_walk_while_inserting_no_duplicate_no_gap(self, client, db):
        token = await make_key(db, "operator", "roads")
        existing = [(await make_ticket(db)).id for _ in range(23)]
        seen: list[int] = []
        cursor = None
        while True:
            params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/tickets", params=params, headers=auth(token))).json()
            seen += [t["id"] for t in page["items"]]
            await make_ticket(db)  # a new ticket arrives between pages
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen))
        assert set(existing) <= set(seen)
        assert seen[: len(existing)] == sorted(existing, reverse=True)

    async def test_limit_is_capped_and_cursor_validated(self, client, db):
        token = await make_key(db, "operator", "roads")
        r = await client.get("/api/v1/tickets?limit=100000", headers=auth(token))
        assert r.status_code == 422
        r = await client.get("/api/v1/tickets?cursor=garbage", headers=auth(token))
        assert r.status_code == 422 and r.json()["field"] == "cursor"
        forged = base64.urlsafe_b64encode(b'["x", "y"]').decode()
        r = await client.get(f"/api/v1/tickets?cursor={forged}", headers=auth(token))
        assert r.status_code == 422

    async def test_unknown_parameters_are_ignored_and_errors_name_the_parameter(self, client, db):
        admin = await make_key(db, "admin")
        high = await make_ticket(db, priority="high")
        await make_ticket(db, priority="low")
        r = await client.get(
            "/api/v1/tickets?priority=high&unknown=1&query=x&filters=y", headers=auth(admin)
        )
        assert r.status_code == 200, r.text
        assert [t["id"] for t in r.json()["items"]] == [high.id]
        r = await client.get(
            "/api/v1/tickets?limit=0&status=routed&status=bogus&created_from=1",
            headers=auth(admin),
        )
        assert r.status_code == 422
        assert [(e["field"], e["type"]) for e in r.json()["errors"]] == [
            ("query.status.1", "enum"),
            ("query.created_from", "value_error"),
            ("query.limit", "greater_than_equal"),
        ]

    async def test_sort_by_deadline(self, client, db):
        from datetime import UTC, datetime, timedelta

        token = await make_key(db, "operator", "roads")
        now = datetime.now(UTC)
        late, soon, none = [await make_ticket(db) for _ in range(3)]
        await set_due(db, late.id, now + timedelta(days=5))
        await set_due(db, soon.id, now + timedelta(days=1))
        await set_due(db, none.id, None)
        ids = []
        cursor = None
        while True:
            params = {
                "sort": "resolution_due_at",
                "limit": 1,
                **({"cursor": cursor} if cursor else {}),
            }
            page = (await client.get("/api/v1/tickets", params=params, headers=auth(token))).json()
            ids += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert ids == [soon.id, late.id, none.id]


class TestFilters:
    async def test_full_text_russian_morphology(self, client, db):
        token = await make_key(db, "operator", "roads")
        pit = await make_ticket(db, text="Яма на дороге у дома 5")
        await make_ticket(db, text="Не горит фонарь во дворе")
        r = await client.get("/api/v1/tickets", params={"q": "ямы"}, headers=auth(token))
        assert [t["id"] for t in r.json()["items"]] == [pit.id]
        r = await client.get("/api/v1/tickets", params={"q": "дорогам"}, headers=auth(token))
        assert [t["id"] for t in r.json()["items"]] == [pit.id]

    @pytest.mark.parametrize("who", ["admin", "operator"])
    @pytest.mark.parametrize("recent", [2, 2000])
    async def test_search_pages_reach_past_the_recent_steps_in_order(
        self, client, db, monkeypatch, who, recent
    ):
        """A search page looks at the newest tickets of the scope, then (across departments)
        the last month, then all time: same rows, in the same order, as one query over
        everything, across cursors, whichever step fills a page."""
        from datetime import UTC, timedelta

        from app.tickets import queries

        monkeypatch.setattr(queries, "SEARCH_RECENT", recent)
        token = await make_key(db, "admin") if who == "admin" else await make_key(db, who, "roads")
        now = datetime.now(UTC)
        ages = [0, 3, 20, 40, 200, 365, 400, 900]  # days: each step holds some
        made = []
        for days in ages:
            ticket = await make_ticket(db, text=f"Прорвало теплотрассу у дома {days}")
            await set_created(db, ticket.id, now - timedelta(days=days))
            made.append(ticket.id)
            other = await make_ticket(db, text=f"Не горит фонарь во дворе {days}")
            await set_created(db, other.id, now - timedelta(days=days, hours=1))
        elsewhere = await make_ticket(db, text="Прорвало теплотрассу", category_code="water")
        for limit in (1, 2, 3, 5, 50):
            seen, cursor = [], None
            while True:
                params = {
                    "q": "теплотрасса",
                    "limit": limit,
                    **({"cursor": cursor} if cursor else {}),
                }
                page = (
                    await client.get("/api/v1/tickets", params=params, headers=auth(token))
                ).json()
                seen += [t["id"] for t in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            assert seen == ([elsewhere.id] if who == "admin" else []) + made, limit

    async def test_filters_combine(self, client, db):
        from datetime import UTC, datetime, timedelta

        admin = await make_key(db, "admin")
        now = datetime.now(UTC)
        overdue = await make_ticket(db, priority="high")
        await set_due(db, overdue.id, now - timedelta(hours=1))
        other = await make_ticket(db, priority="low", category_code="water")
        await set_due(db, other.id, now + timedelta(days=3))
        cases = {
            "priority=high": [overdue.id],
            "overdue=true": [overdue.id],
            "category=water&priority=high": [],
            "department=roads&status=routed": [overdue.id],
            "source=api&kind=direct_request&priority=high": [overdue.id],
            f"created_from={(now - timedelta(minutes=5)).isoformat().replace('+', '%2B')}"
            "&priority=high": [overdue.id],
            f"created_to={(now - timedelta(days=1)).isoformat().replace('+', '%2B')}": [],
        }
        for query, expected in cases.items():
            r = await client.get(f"/api/v1/tickets?{query}", headers=auth(admin))
            assert r.status_code == 200, (query, r.text)
            assert [t["id"] for t in r.json()["items"]] == expected, query


class TestManualCreation:
    async def test_create_routes_by_category(self, client, db):
        token = await make_key(db, "operator", "zhkh")
        r = await client.post(
            "/api/v1/tickets",
            headers=auth(token),
            json={
                "text": "Звонок: нет отопления в доме 3 по ул. Парковой",
                "category": "heating",
                "channel": "phone",
                "applicant": {"full_name": "Сидоров Пётр", "phone": "+79241112233"},
            },
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["department"] == "zhkh" and body["status"] == "routed"
        assert body["number"].startswith("SD-") and body["source"] == "api"

    async def test_unknown_category_is_422(self, client, db):
        token = await make_key(db, "operator", "zhkh")
        r = await client.post(
            "/api/v1/tickets", headers=auth(token), json={"text": "x", "category": "nope"}
        )
        assert r.status_code == 422

    async def test_idempotency_key_replay_and_conflict(self, client, db):
        token = await make_key(db, "operator", "zhkh")
        body = {"text": "Нет воды", "category": "water"}
        headers = {**auth(token), "Idempotency-Key": "call-2026-11-26-001"}
        first = await client.post("/api/v1/tickets", json=body, headers=headers)
        again = await client.post("/api/v1/tickets", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        other = await client.post(
            "/api/v1/tickets", json={**body, "text": "Другое"}, headers=headers
        )
        assert other.status_code == 422
        listed = (await client.get("/api/v1/tickets", headers=auth(token))).json()["items"]
        assert len(listed) == 1

    async def test_idempotency_key_in_flight_is_409(self, client, db, app):
        from datetime import UTC, datetime, timedelta

        from app.access import idempotency

        token = await make_key(db, "operator", "zhkh")
        from app.access.api_keys import authenticate

        async with db.sessionmaker() as session:
            principal = await authenticate(session, token)
        body = b'{"text":"x","category":"water"}'
        import hashlib

        request_hash = hashlib.sha256(b"/api/v1/tickets\n" + body).hexdigest()
        claim = await idempotency.claim(
            db.sessionmaker,
            principal=principal.actor,
            key="k1",
            request_hash=request_hash,
            now=datetime.now(UTC),
            ttl=timedelta(hours=24),
        )
        assert isinstance(claim, int)  # a first request holds the key and has not finished
        r = await client.post(
            "/api/v1/tickets",
            content=body,
            headers={**auth(token), "Idempotency-Key": "k1", "Content-Type": "application/json"},
        )
        assert r.status_code == 409

    async def test_keys_are_per_principal(self, client, db):
        a = await make_key(db, "operator", "zhkh")
        b = await make_key(db, "operator", "zhkh")
        body = {"text": "Нет воды", "category": "water"}
        r1 = await client.post(
            "/api/v1/tickets", json=body, headers={**auth(a), "Idempotency-Key": "same"}
        )
        r2 = await client.post(
            "/api/v1/tickets", json=body, headers={**auth(b), "Idempotency-Key": "same"}
        )
        assert r1.status_code == r2.status_code == 201
        assert r1.json()["id"] != r2.json()["id"]
