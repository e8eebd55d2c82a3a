"""A fake «Инцидент Менеджмент»: pushes signed incidents (social posts) with coordinates inside
the city's districts, and serves the comment endpoint the relay posts answers to."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request

from app.tools.simulators.common import AnswerInbox, Push, Pusher, add_common
from app.tools.simulators.content import (
    NAMES,
    SURNAMES,
    Appeal,
    City,
    load_city,
    point_in,
    random_appeal,
)
from app.tools.simulators.outage import (
    OutagePlan,
    OutageScenario,
    add_scenario,
    written_before,
)

NETWORKS = {
    "vk": "https://vk.com/wall-{group}_{post}",
    "ok": "https://ok.ru/group/{group}/topic/{post}",
    "telegram": "https://t.me/spassk_chat/{post}",
}
IMPORTANCE = ["Обычная"] * 6 + ["Высокая"] * 3 + ["ЛС"]
ADDITIONS = [
    "Обновление: ничего не изменилось, ждём реакции.",
    "Добавлю: соседи тоже жаловались, фото в комментариях.",
]


@dataclass
class ImConfig:
    repeat_share: float = 0.1
    update_share: float = 0.25
    late_share: float = 0.1
    related_share: float = 0.1
    rating_share: float = 0.8  # final answers the author reacts to («Причина закрытия»)


# «Причина закрытия» when the moderators close an incident after the authority's answer.
CLOSE_REASONS = ("Автор доволен", "Автор нейтрален", "Автор недоволен")
CLOSE_WEIGHTS = (60, 25, 15)


class IncidentManagementSimulator:
    def __init__(self, *, city: City, rng: random.Random, config: ImConfig) -> None:
        self.city = city
        self.rng = rng
        self.config = config
        self.seq = rng.randint(1000, 9000) * 100
        self.items: dict[str, dict[str, Any]] = {}  # post URL -> the last pushed snapshot

    def rated(self, post_url: str | None) -> Push | None:
        """The incident closed after the answer, with how its author took it, or None."""
        item = self.items.get(post_url or "")
        if item is None or self.rng.random() >= self.config.rating_share:
            return None
        closed = copy.deepcopy(item)
        closed["status"] = "closed"
        closed["updated_at"] = datetime.now(UTC).isoformat()
        closed["closure_reason"] = self.rng.choices(CLOSE_REASONS, weights=CLOSE_WEIGHTS)[0]
        self.items[closed["post_url"]] = closed
        return Push(closed, label="rating")

    def new_incident(
        self, now: datetime, appeal: Appeal | None = None, created: datetime | None = None
    ) -> dict[str, Any]:
        """A new post: a random appeal, or ``appeal`` (a scenario's), written at ``created``."""
        appeal = appeal or random_appeal(self.city, "incident_management", self.rng)
        self.seq += 1
        network = self.rng.choice(list(NETWORKS))
        created = created or now - timedelta(minutes=self.rng.randint(1, 60))
        lat, lon = point_in(appeal.district.polygon, self.rng)
        item: dict[str, Any] = {
            "id": f"im-{created:%Y%m%d}-{self.seq:06d}",
            "created_at": created.isoformat(),
            "updated_at": created.isoformat(),
            "network": network,
            "post_url": NETWORKS[network].format(group=100000000, post=self.seq),
            "author": {
                "name": f"{self.rng.choice(NAMES)} {self.rng.choice(SURNAMES)[0]}.",
                "profile_url": f"https://vk.com/id{self.rng.randint(10**8, 2 * 10**8)}",
            },
            "text": appeal.text,
            "municipality": self.city.name,
            "theme_group": appeal.source_category,
            "theme": appeal.source_category,
            "importance": self.rng.choice(IMPORTANCE),
            "status": "new",
            "attachments": [],
            "location": {
                "address": f"г. {self.city.name}, ул. {appeal.street}, д. {appeal.house}",
                "lat": lat,
                "lon": lon,
            },
        }
        if self.rng.random() < self.config.related_share:
            item["related_posts"] = [f"https://ok.ru/group/1/topic/{self.seq + 7}"]
        return item

    def script(self) -> list[tuple[int, Push]]:
        """One incident's deliveries: it, maybe a repeat, an update, a late old snapshot."""
        item = self.new_incident(datetime.now(UTC))
        self.items[item["post_url"]] = item
        first = Push(copy.deepcopy(item))
        pushes = [(0, first)]
        r = self.rng.random
        if r() < self.config.repeat_share:
            pushes.append((1, Push(first.body, message_id=first.message_id, label="repeat")))
        if r() < self.config.update_share:
            updated = copy.deepcopy(item)
            updated["updated_at"] = (
                datetime.fromisoformat(item["updated_at"]) + timedelta(minutes=20)
            ).isoformat()
            updated["text"] = item["text"] + "\n" + self.rng.choice(ADDITIONS)
            updated["importance"] = "Высокая"
            self.items[item["post_url"]] = updated
            pushes.append((2, Push(updated, label="update")))
            if r() < self.config.late_share / max(self.config.update_share, 0.01):
                pushes.append((4, Push(copy.deepcopy(item), label="late_old")))
        return pushes


def build_app(
    *,
    target: str | None,
    secret: str | None,
    outbound_secret: str | None,
    rate: float,
    seed: int | None = None,
    config: ImConfig | None = None,
    scenario: OutagePlan | None = None,
) -> tuple[FastAPI, IncidentManagementSimulator, Pusher]:
    rng = random.Random(seed)
    sim = IncidentManagementSimulator(city=load_city(), rng=rng, config=config or ImConfig())
    inbox = AnswerInbox(secret=outbound_secret)
    pusher = Pusher(target=target, secret=secret, rate=rate, rng=rng)
    app = FastAPI(title="Инцидент Менеджмент simulator")
    add_common(app, inbox, pusher)

    def on_answer(record: dict[str, Any]) -> None:
        """A final answer published: the moderators close the incident, saying how its author
        took it (the hub records the rating)."""
        push = sim.rated(record.get("source_url")) if record.get("type") == "answer" else None
        if push is not None:
            pusher.follow_up(push)

    @app.post("/api/comments")
    async def comments(request: Request) -> Any:
        """An answer published under the post by the authority's official account."""
        return await inbox.accept(request, on_new=on_answer)

    def script() -> list[tuple[int, Push]]:
        pushes = sim.script()
        pusher.items.append(str(pushes[0][1].body["id"]))
        return pushes

    app.state.script = script
    if scenario is not None:

        def make(appeal: Appeal, now: datetime) -> tuple[dict[str, Any], str]:
            item = sim.new_incident(now, appeal, written_before(now, rng, 0.2, 2.0))
            sim.items[item["post_url"]] = item
            return copy.deepcopy(item), item["post_url"]

        plan = OutageScenario(sim.city, "incident_management", scenario, rng, make)
        add_scenario(app, plan, pusher)
    return app, sim, pusher
