"""A fake «Платформа обратной связи»: pushes signed message objects, serves OAuth, item reads
and the answer endpoint the relay posts to. In-memory; one process is one ПОС."""

from __future__ import annotations

import base64
import copy
import random
import secrets
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse

from app.tools.simulators.common import AnswerInbox, Push, Pusher, add_common
from app.tools.simulators.content import (
    NAMES,
    SURNAMES,
    Appeal,
    City,
    load_city,
    random_appeal,
)
from app.tools.simulators.outage import (
    OutagePlan,
    OutageScenario,
    add_scenario,
    written_before,
)

REGION_ID = 25
OPA_ID = 725704
DECLINE_REASONS = ["Не относится к компетенции", "Повторное сообщение", "Недостаточно данных"]
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (50, 20, 15, 8, 7)


@dataclass
class PosConfig:
    username: str = "demo-client"
    password: str = "demo-password"
    client_id: str = "appeals-hub"
    client_secret: str = "demo-client-secret"
    token_ttl: int = 600
    repeat_share: float = 0.1
    update_share: float = 0.25
    late_share: float = 0.1
    decline_share: float = 0.1  # moderator declines visible only by polling
    rating_share: float = 0.8  # final answers the citizen rates («Оценка», 1–5)


@dataclass
class PosState:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # token → expiry (monotonic)
    logins: int = 0
    reads: int = 0


def _entry(status: str, text: str, at: datetime, answer: dict[str, Any] | None = None) -> dict:
    return {"status": status, "statusText": text, "createdAt": at.isoformat(), "answer": answer}


class FeedbackPlatformSimulator:
    def __init__(self, *, city: City, rng: random.Random, config: PosConfig) -> None:
        self.city = city
        self.rng = rng
        self.config = config
        self.state = PosState()
        self.next_id = 563_000_000 + rng.randint(0, 999) * 1000

    def new_message(
        self, now: datetime, appeal: Appeal | None = None, created: datetime | None = None
    ) -> dict[str, Any]:
        """A new item: a random appeal, or ``appeal`` (a scenario's), written at ``created``."""
        appeal = appeal or random_appeal(self.city, "feedback_platform", self.rng)
        self.next_id += 1
        created = created or now - timedelta(minutes=self.rng.randint(5, 90))
        fz59 = self.rng.random() < 0.15
        return {
            "posId": self.next_id,
            "createdAt": created.isoformat(),
            "answerAt": (created + timedelta(days=30 if fz59 else 10)).isoformat(),
            "fz59": fz59,
            "fastTrack": (not fz59) and self.rng.random() < 0.1,
            "description": appeal.text,
            "location": (
                f"Приморский край, г. {self.city.name}, ул. {appeal.street}, д. {appeal.house}"
            ),
            "subjectName": appeal.source_category,
            "subjectId": 100 + zlib.crc32(appeal.source_category.encode()) % 900,
            "attachmentIds": [],
            "opaId": OPA_ID,
            "organizationInfo": {"opaId": OPA_ID, "name": f"Администрация г. {self.city.name}"},
            "regionId": REGION_ID,
            "applicant": {
                "epguId": self.rng.randint(10**9, 2 * 10**9),
                "surname": self.rng.choice(SURNAMES),
                "name": self.rng.choice(NAMES),
                "email": f"citizen{self.rng.randint(1, 99999)}@example.ru",
                "phone": f"+7924{self.rng.randint(0, 9999999):07d}",
            },
            "status": "SET_EXECUTOR",
            "statusText": "Назначен исполнитель",
            "history": [
                _entry("MODERATION_NEW", "На модерации", created + timedelta(seconds=1)),
                _entry("MODERATION_ACCEPT", "Принято модератором", created + timedelta(minutes=2)),
                _entry("SET_EXECUTOR", "Назначен исполнитель", created + timedelta(minutes=4)),
            ],
        }

    def _advance(self, message: dict[str, Any], status: str, text: str, **answer: Any) -> dict:
        updated = copy.deepcopy(message)
        at = datetime.fromisoformat(updated["history"][-1]["createdAt"]) + timedelta(minutes=30)
        updated["status"], updated["statusText"] = status, text
        updated["history"].append(_entry(status, text, at, answer or None))
        if status == "POSTPONE":
            answer_at = datetime.fromisoformat(updated["answerAt"]) + timedelta(days=10)
            updated["answerAt"] = answer_at.isoformat()
        return updated

    def script(self) -> list[tuple[int, Push]]:
        """One item's deliveries: the item, maybe a repeat, an update, a late old snapshot."""
        now = datetime.now(UTC)
        message = self.new_message(now)
        pos_id = str(message["posId"])
        self.state.items[pos_id] = message
        first = Push(copy.deepcopy(message))
        pushes = [(0, first)]
        r = self.rng.random
        if r() < self.config.repeat_share:
            pushes.append((1, Push(first.body, message_id=first.message_id, label="repeat")))
        if r() < self.config.update_share:
            updated = self._advance(message, "POSTPONE", "Перенос срока обработки утвержден")
            self.state.items[pos_id] = updated
            pushes.append((2, Push(updated, label="update")))
            if r() < self.config.late_share / max(self.config.update_share, 0.01):
                pushes.append((4, Push(copy.deepcopy(message), label="late_old")))
        elif r() < self.config.decline_share:
            # A moderator declines inside ПОС and nothing is pushed: only polling finds out.
            self.state.items[pos_id] = self._advance(
                message,
                "MODERATION_DECLINE",
                "Отклонено модератором",
                answerType="DECLINE",
                rejectReason={"id": 3, "name": self.rng.choice(DECLINE_REASONS)},
            )
        return pushes

    def rated(self, pos_id: str | None) -> Push | None:
        """The item again, rated by its citizen (mostly content, sometimes not), or None."""
        message = self.state.items.get(pos_id or "")
        if message is None or self.rng.random() >= self.config.rating_share:
            return None
        message = {**message, "rating": self.rng.choices(RATINGS, weights=RATING_WEIGHTS)[0]}
        self.state.items[str(message["posId"])] = message
        return Push(copy.deepcopy(message), label="rating")

    def decline(self, pos_id: str, reason: str) -> dict[str, Any] | None:
        message = self.state.items.get(pos_id)
        if message is None:
            return None
        self.state.items[pos_id] = self._advance(
            message,
            "MODERATION_DECLINE",
            "Отклонено модератором",
            answerType="DECLINE",
            rejectReason={"id": 3, "name": reason},
        )
        return self.state.items[pos_id]

    def login(self, username: str, password: str, authorization: str | None) -> str | None:

        c = self.config
        expected = "Basic " + base64.b64encode(f"{c.client_id}:{c.client_secret}".encode()).decode()
        if authorization != expected or (username, password) != (c.username, c.password):
            return None
        token = secrets.token_urlsafe(24)
        self.state.tokens[token] = time.monotonic() + c.token_ttl
        self.state.logins += 1
        return token

    def authorized(self, authorization: str | None) -> bool:
        token = (authorization or "").removeprefix("Bearer ").strip()
        expiry = self.state.tokens.get(token)
        return expiry is not None and expiry > time.monotonic()


def build_app(
    *,
    target: str | None,
    secret: str | None,
    outbound_secret: str | None,
    rate: float,
    seed: int | None = None,
    config: PosConfig | None = None,
    scenario: OutagePlan | None = None,
) -> tuple[FastAPI, FeedbackPlatformSimulator, Pusher]:
    rng = random.Random(seed)
    sim = FeedbackPlatformSimulator(city=load_city(), rng=rng, config=config or PosConfig())
    inbox = AnswerInbox(secret=outbound_secret)
    pusher = Pusher(target=target, secret=secret, rate=rate, rng=rng)
    app = FastAPI(title="ПОС simulator")
    add_common(app, inbox, pusher)

    def on_answer(record: dict[str, Any]) -> None:
        """A final answer reached the citizen: most rate it (ПОС «Оценка ответа»)."""
        push = sim.rated(record.get("source_id")) if record.get("type") == "answer" else None
        if push is not None:
            pusher.follow_up(push)

    _add_pos_api(app, sim, inbox, on_answer)
    _add_pos_controls(app, sim)

    def script() -> list[tuple[int, Push]]:
        pushes = sim.script()
        pusher.items.append(str(pushes[0][1].body["posId"]))
        return pushes

    app.state.script = script
    if scenario is not None:

        def make(appeal: Appeal, now: datetime) -> tuple[dict[str, Any], str]:
            # Moderated first: the item reaches the hub a few minutes after it was written.
            message = sim.new_message(now, appeal, written_before(now, rng, 4.5, 8.0))
            sim.state.items[str(message["posId"])] = message
            return copy.deepcopy(message), str(message["posId"])

        plan = OutageScenario(sim.city, "feedback_platform", scenario, rng, make)
        add_scenario(app, plan, pusher)
    return app, sim, pusher


def _add_pos_api(
    app: FastAPI,
    sim: FeedbackPlatformSimulator,
    inbox: AnswerInbox,
    on_answer: Callable[[dict[str, Any]], None],
) -> None:
    """What the hub calls: the OAuth token, item reads (polling) and the answer endpoint."""

    @app.post("/user-service/oauth/token")
    async def token(
        username: str = Form(),
        password: str = Form(),
        grant_type: str = Form(),
        scope: str = Form(default=""),
        authorization: str | None = Header(default=None),
    ) -> JSONResponse:
        issued = sim.login(username, password, authorization) if grant_type == "password" else None
        if issued is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=401)
        body = {"access_token": issued, "token_type": "bearer", "expires_in": sim.config.token_ttl}
        return JSONResponse(body)

    @app.get("/appeal-service/external-appeal-system/appeals/{pos_id}")
    async def read_item(pos_id: str, authorization: str | None = Header(default=None)) -> Any:
        if not sim.authorized(authorization):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        sim.state.reads += 1
        item = sim.state.items.get(pos_id)
        return item if item is not None else JSONResponse({"error": "not found"}, status_code=404)

    @app.post("/appeal-service/external-appeal-system/appeals/{pos_id}/responses")
    async def responses(pos_id: str, request: Request) -> Any:
        return await inbox.accept(request, on_new=on_answer)


def _add_pos_controls(app: FastAPI, sim: FeedbackPlatformSimulator) -> None:
    """What tests drive: a moderator's decline, revoked tokens, the polling counters."""

    @app.post("/simulator/items/{pos_id}/decline")
    async def decline(pos_id: str, reason: str = "Не относится к компетенции") -> Any:
        item = sim.decline(pos_id, reason)
        return item if item is not None else JSONResponse({"error": "not found"}, status_code=404)

    @app.post("/simulator/tokens/revoke")
    async def revoke() -> dict[str, int]:
        sim.state.tokens.clear()
        return {"logins": sim.state.logins}

    @app.get("/simulator/polls")
    async def polls() -> dict[str, int]:
        return {"logins": sim.state.logins, "reads": sim.state.reads}
