"""Signed ПОС webhook deliveries (Standard Webhooks) for the ingestion bench."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from bench.texts import STREETS, appeal_text, person

SECRET = "whsec_" + "YmVuY2gtc2VjcmV0LWZvci1hcHBlYWxzLWh1Yg=="
POS_SUBJECTS = [
    ("Автомобильные дороги", "Ямы, выбоины", "roads"),
    ("Многоквартирные дома", "Отопление", "heating"),
    ("Мусор", "Контейнерные площадки", "waste"),
    ("Благоустройство", "Дворы и территории общего пользования", "improvement"),
    ("Водоснабжение", "Водоснабжение", "water"),
    ("Автомобильные дороги", "Уборка снега", "snow"),
    ("Образование", "Образование", "education"),
]


def pos_message(pos_id: int, rng: random.Random, now: datetime) -> dict[str, object]:
    """A ПОС message as the feedback-platform webhook carries it (DOMAIN.md field names)."""
    subject, subsubject, category = rng.choice(POS_SUBJECTS)
    district = rng.choice(list(STREETS))
    street = rng.choice(STREETS[district])
    surname, name, patronymic = person(rng)
    created = now - timedelta(minutes=rng.randint(1, 600))
    return {
        "posId": pos_id,
        "createdAt": created.isoformat(),
        "answerAt": (created + timedelta(days=10)).isoformat(),
        "description": appeal_text(category, street, rng),
        "location": f"Приморский край, г. Спасск-Дальний, ул. {street}, д. {rng.randint(1, 99)}",
        "subjectId": 100 + POS_SUBJECTS.index((subject, subsubject, category)),
        "subsubjectId": 1000 + rng.randint(1, 50),
        "subjectName": subject,
        "subsubjectName": subsubject,
        "factId": None,
        "attachmentIds": [],
        "opaId": 2508,
        "organizationInfo": {"name": "Администрация городского округа Спасск-Дальний"},
        "regionId": 25,
        "status": "SET_EXECUTOR",
        "statusText": "Назначен исполнитель",
        "history": [],
        "applicant": {
            "epguId": str(rng.randint(10**9, 10**10)),
            "surname": surname,
            "name": name,
            "patronymic": patronymic,
            "email": f"user{pos_id}@example.ru",
            "phone": f"+7924{pos_id % 10_000_000:07d}",
        },
        "fz59": rng.random() < 0.2,
        "fastTrack": False,
    }


def signed_lines(path: str, count: int, *, start_id: int, url_path: str, seed: int = 7) -> None:
    """Write ``count`` deliveries with unique webhook ids and posIds, signed now."""
    rng = random.Random(seed)
    hook = Webhook(SECRET)
    now = datetime.now(UTC)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            body = json.dumps(pos_message(start_id + i, rng, now), ensure_ascii=False)
            msg_id = f"msg_{uuid.uuid4().hex}"
            signature = hook.sign(msg_id, now, body)
            headers = "\x1f".join(
                (
                    "Content-Type: application/json",
                    f"webhook-id: {msg_id}",
                    f"webhook-timestamp: {int(now.timestamp())}",
                    f"webhook-signature: {signature}",
                )
            )
            out.write(f"POST\t{url_path}\t{headers}\t{body}\n")
