"""`appeals routing evaluate` measures what the service does: the rules as `load-config` stored
them, routed through `/api/v1/routing/explain`, give every corpus text the same department and
rule as the evaluation's own reading of the city file."""

from __future__ import annotations

from pathlib import Path

from app.directory.city_config import read_city_config
from app.routing.evaluation import DEFAULT_CITY, DEFAULT_CORPUS, TextRouter, read_corpus
from tests.support.builders import auth, make_key

ROOT = Path(__file__).resolve().parents[2]


async def test_the_service_routes_every_corpus_text_as_the_evaluation_does(client, db):
    token = auth(await make_key(db, "operator", "press"))
    router = TextRouter.from_config(read_city_config(ROOT / DEFAULT_CITY))
    differ = []
    for item in read_corpus(ROOT / DEFAULT_CORPUS):
        payload = {"text": item.text, "category": "other", "channel": "phone"}
        r = await client.post("/api/v1/routing/explain", json=payload, headers=token)
        assert r.status_code == 200, r.text
        served = r.json()
        expected = router.route(item.text)
        got = (served["department"], served["method"], (served["rule"] or {}).get("name"))
        if got != (expected.department_code, expected.method, expected.rule_name):
            differ.append((item.text, got, expected.department_code, expected.rule_name))
    assert differ == []
