"""A scripted day of the hub, played against a real api through its real paths: signed ПОС and
IM deliveries, operators' answers and ratings over HTTP, forged deliveries, the outbox relay
meeting a failing source, the SLA sweeper and the metrics worker. Each appeal says what the
day means for it (its verdicts); the test derives every expected figure from that and from the
tickets as stored, never from the metrics code."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_
from sqlmodel import col, select

from app.config import get_settings
from app.intake import connector_health
from app.models.outbox import OutboxMessage
from app.models.tickets import Ticket
from app.sla.deadlines import current_deadlines, set_deadlines
from app.sla.sweeper import sweep
from app.workers.metrics_fold import run_metrics_fold
from app.workers.relay import Relay
from tests.support.builders import auth
from tests.support.webhooks import IM_URL, POS_URL, encode, signed

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
_ids = itertools.count(1)


@dataclass(frozen=True)
class Appeal:
    """One appeal of the day: what arrives, its deadlines (from now), what is done with it."""

    key: str
    source: str  # feedback_platform | incident_management
    category: str  # the source's own category name (routing places it)
    age: timedelta  # created this long before the day's "now"
    resolution_due: timedelta
    first_response_due: timedelta | None = None
    resolution_risk: timedelta | None = None
    fz59: bool = False
    answers: tuple[str, ...] = ()  # "interim" / "final", given over the API
    rating: int | str | None = None  # ПОС score or IM «Причина закрытия», pushed by the source
    manual_rating: int | None = None  # an operator records the citizen's score
    # What the day means for it (the SLA report's rule): "met", "missed" or None (pending).
    resolution: str | None = None
    first_response: str | None = None

    @property
    def kind(self) -> str:
        if self.source == "incident_management":
            return "social_post"
        return "fz59_appeal" if self.fz59 else "pos_message"


DAY = (
    Appeal("im1", "incident_management", "Дороги", 20 * MIN, 2 * 24 * H, first_response_due=H,
           answers=("interim", "final"), rating="Автор доволен",
           resolution="met", first_response="met"),
    Appeal("im2", "incident_management", "ЖКХ", 3 * H, 2 * 24 * H, first_response_due=-H,
           manual_rating=3, first_response="missed"),
    Appeal("im3", "incident_management", "Благоустройство", 6 * H, 2 * 24 * H,
           first_response_due=-2 * H, answers=("interim",), rating="Автор недоволен",
           first_response="missed"),
    Appeal("pos1", "feedback_platform", "Автомобильные дороги", 8 * H, 24 * H,
           answers=("final",), rating=5, resolution="met"),
    Appeal("pos2", "feedback_platform", "Теплоснабжение", 10 * H, -H, answers=("final",),
           rating=3, resolution="missed"),
    Appeal("pos3", "feedback_platform", "Мусор", 7 * H, -2 * H, resolution="missed"),
    Appeal("pos4", "feedback_platform", "Лифт", 2 * H, 5 * H, resolution_risk=-H),
    Appeal("fz1", "feedback_platform", "Благоустройство", 5 * H, 20 * 24 * H, fz59=True,
           answers=("final",), resolution="met"),
)  # fmt: skip
FORGED = 4  # IM deliveries signed with a secret the hub does not hold
FORGED_SECRET = "whsec_" + base64.b64encode(b"a-secret-the-hub-never-held-0123").decode()
POLL_LAST_SUCCESS = 5 * H  # the ПОС poller succeeded this long ago and fails since
TELEGRAM_LAST_SUCCESS = 4 * H  # the chat-bot's answers: nothing to send since


def _iso(at: datetime) -> str:
    return at.isoformat()


def _text(appeal: Appeal) -> str:
    """A text of its own, with no address: duplicate detection leaves it alone."""
    return f"Сценарий дня, обращение {appeal.key}: {uuid.uuid4().hex[:8]}, просим разобраться"


def _pos_body(appeal: Appeal, created: datetime, now: datetime) -> dict[str, Any]:
    return {
        "posId": 900_000_000 + next(_ids),
        "createdAt": _iso(created),
        "answerAt": _iso(now + appeal.resolution_due),
        "fz59": appeal.fz59,
        "fastTrack": False,
        "description": _text(appeal),
        "subjectName": appeal.category,
        "subjectId": 100,
        "opaId": 725704,
        "regionId": 25,
        "status": "SET_EXECUTOR",
        "statusText": "Назначен исполнитель",
        "history": [
            {
                "status": "SET_EXECUTOR",
                "statusText": "Назначен исполнитель",
                "createdAt": _iso(created + MIN),
                "answer": None,
            }
        ],
    }


def _im_body(appeal: Appeal, created: datetime) -> dict[str, Any]:
    n = next(_ids)
    return {
        "id": f"im-day-{n}",
        "created_at": _iso(created),
        "updated_at": _iso(created),
        "network": "vk",
        "post_url": f"https://vk.com/wall-100000000_{n}",
        "text": _text(appeal),
        "theme_group": appeal.category,
        "theme": appeal.category,
        "importance": "Высокая",
        "status": "new",
        "attachments": [],
    }


@dataclass
class Day:
    """The day as played: its "now", each appeal's ticket id and source body."""

    db: Any
    api: str
    admin: str
    now: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    tickets: dict[str, int] = dataclasses.field(default_factory=dict)
    bodies: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    outbox_targets: dict[str, str] = dataclasses.field(default_factory=dict)

    async def deliver(self, appeal: Appeal, body: dict[str, Any], **signing: Any) -> int:
        url = POS_URL if appeal.source == "feedback_platform" else IM_URL
        raw = encode(body)
        async with httpx.AsyncClient(base_url=self.api, timeout=30) as c:
            r = await c.post(url, content=raw, headers=signed(raw, **signing))
        return r.status_code

    async def arrive(self) -> None:
        """Every appeal arrives through its source's signed webhook."""
        for appeal in DAY:
            created = self.now - appeal.age
            body = (
                _pos_body(appeal, created, self.now)
                if appeal.source == "feedback_platform"
                else _im_body(appeal, created)
            )
            assert await self.deliver(appeal, body) == 202, appeal.key
            self.bodies[appeal.key] = body
        await self._wait_for_tickets()

    async def _wait_for_tickets(self) -> None:
        """The intake pipeline makes the tickets from the inbox soon after the 202."""
        # A ПОС item is known by its posId, an IM post by its URL.
        ids = {str(b.get("posId") or b["post_url"]): key for key, b in self.bodies.items()}
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            async with self.db.sessionmaker() as session:
                rows = await session.exec(
                    select(Ticket.source_id, Ticket.source_url, Ticket.id).where(
                        or_(col(Ticket.source_id).in_(ids), col(Ticket.source_url).in_(ids))
                    )
                )
                self.tickets = {
                    ids[source_id if source_id in ids else str(url)]: ticket_id
                    for source_id, url, ticket_id in rows.all()
                }
            if len(self.tickets) == len(ids):
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"tickets made: {sorted(self.tickets)} of {sorted(ids.values())}")

    async def set_deadlines(self) -> None:
        """The day's deadlines on each ticket (the policy's own terms are not what is tested)."""
        async with self.db.sessionmaker() as session:
            for appeal in DAY:
                ticket = await session.get(Ticket, self.tickets[appeal.key])
                assert ticket is not None
                due = dataclasses.replace(
                    current_deadlines(ticket),
                    first_response_due_at=_at(self.now, appeal.first_response_due),
                    first_response_risk_at=None,
                    resolution_due_at=self.now + appeal.resolution_due,
                    resolution_risk_at=_at(self.now, appeal.resolution_risk),
                )
                set_deadlines(ticket, due)
            await session.commit()

    async def work(self) -> None:
        """Operators answer (interim, final) and record a citizen's rating over the API."""
        async with httpx.AsyncClient(base_url=self.api, headers=auth(self.admin), timeout=30) as c:
            for appeal in DAY:
                ticket_id = self.tickets[appeal.key]
                for kind in appeal.answers:
                    if kind == "final" and appeal.fz59:
                        # A 59-ФЗ appeal is answered with its ССТУ.РФ outcome (docs/SSTU.md).
                        question = {"code": "0003.0009.0097.0689", "status": "Explained"}
                        r = await c.put(
                            f"/api/v1/tickets/{ticket_id}/sstu", json={"questions": [question]}
                        )
                        assert r.status_code == 200, r.text
                    text = "Промежуточный ответ" if kind == "interim" else "Сделано"
                    r = await c.post(
                        f"/api/v1/tickets/{ticket_id}/answers", json={"text": text, "kind": kind}
                    )
                    assert r.status_code == 201, r.text
                if appeal.manual_rating is not None:
                    r = await c.post(
                        f"/api/v1/tickets/{ticket_id}/feedback",
                        json={"score": appeal.manual_rating},
                    )
                    assert r.status_code in (200, 201), r.text

    async def rate(self) -> None:
        """The sources push the citizens' ratings: the same item again, rated."""
        for appeal in DAY:
            if appeal.rating is None:
                continue
            field = "rating" if appeal.source == "feedback_platform" else "closure_reason"
            body = {**self.bodies[appeal.key], field: appeal.rating}
            assert await self.deliver(appeal, body) == 202, appeal.key

    async def forge(self) -> None:
        """Deliveries signed with a secret the hub does not hold (the old one was revoked)."""
        appeal = next(a for a in DAY if a.source == "incident_management")
        for _ in range(FORGED):
            body = _im_body(appeal, self.now)
            assert await self.deliver(appeal, body, secret=FORGED_SECRET) == 401

    async def relay_meets_failing_sources(self) -> None:
        """One relay pass: ПОС answers 503 (retried later), IM answers 400 (given up)."""
        async with self.db.sessionmaker() as session:
            messages = (await session.exec(select(OutboxMessage))).all()
            self.outbox_targets = {str(m.id): m.target for m in messages}

        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(503 if request.url.host == "pos.test" else 400)

        settings = get_settings().model_copy(
            update={
                "feedback_platform_url": "http://pos.test",
                "incident_management_url": "http://im.test",
            }
        )
        relay = Relay(self.db, settings=settings, transport=httpx.MockTransport(answer))
        assert await relay.run_once(datetime.now(UTC)) == len(self.outbox_targets)

    async def connector_history(self) -> None:
        """The ПОС poller: a success hours ago, a timeout now; the chat-bot's answers channel:
        a success hours ago and nothing to send since."""
        async with self.db.sessionmaker() as session:
            poll = "feedback_platform.poll"
            await connector_health.record_success(session, poll, now=self.now - POLL_LAST_SUCCESS)
            await connector_health.record_failure(session, poll, reason="timeout", now=self.now)
            await connector_health.record_success(
                session, "telegram", now=self.now - TELEGRAM_LAST_SUCCESS
            )
            await session.commit()

    async def close_the_day(self) -> None:
        """The worker's loops: the SLA sweeper marks, the metrics worker counts the overdue."""
        await sweep(self.db, datetime.now(UTC))
        await run_metrics_fold(self.db, datetime.now(UTC))


def _at(now: datetime, offset: timedelta | None) -> datetime | None:
    return None if offset is None else now + offset
