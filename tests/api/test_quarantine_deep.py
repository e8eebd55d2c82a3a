"""A quarantined body nested 50 000 deep (issue 23, outside tester's F2) once made
`GET /api/v1/quarantine` a 500 for good (RecursionError masking it). The list works, that body
shows as null with the reason, and the raw body and replay still work."""

from __future__ import annotations

from tests.api.test_quarantine_privacy import REASON, broken_pos, hooks
from tests.support.builders import auth, make_key
from tests.support.webhooks import POS_URL, encode, signed

__all__ = ["hooks"]  # the fixture, shared with test_quarantine_privacy

DEEP = b'{"posId":' + b"[" * 50_000 + b"]" * 50_000 + b"}"


async def test_a_deeply_nested_body_leaves_the_list_working(db, hooks):
    admin = auth(await make_key(db, "admin"))
    r = await hooks.post(POS_URL, content=DEEP, headers=signed(DEEP))
    assert r.status_code == 422, r.text
    deep_id = int(r.json()["delivery_id"])
    body = b"{not json"
    r = await hooks.post(POS_URL, content=body, headers=signed(body))
    assert r.status_code == 422, r.text
    message = broken_pos()
    plain = encode(message)
    r = await hooks.post(POS_URL, content=plain, headers=signed(plain))
    plain_id = int(r.json()["delivery_id"])

    listed = await hooks.get("/api/v1/quarantine", headers=admin)
    assert listed.status_code == 200, listed.text
    items = {item["id"]: item for item in listed.json()["items"]}
    deep, not_json, readable = items[deep_id], items[deep_id + 1], items[plain_id]
    assert (deep["body"], deep["body_unavailable"]) == (
        None,
        "not displayable: the JSON is nested too deeply",
    )
    assert (not_json["body"], not_json["body_unavailable"]) == (
        None,
        "not displayable: the body is not JSON",
    )
    assert readable["body"] is not None and readable["body_unavailable"] is None

    raw = await hooks.post(
        f"/api/v1/quarantine/{deep_id}/raw-body", headers=admin, json={"reason": REASON}
    )
    assert raw.status_code == 200, raw.text
    assert raw.json()["body"].encode() == DEEP

    again = await hooks.post(f"/api/v1/quarantine/{deep_id}/replay", headers=admin)
    assert again.status_code == 422, again.text
    assert again.json()["detail"].startswith("the delivery is still invalid")
    fixed = message | {"description": "Во дворе не вывозят мусор (текст восстановлен)"}
    replayed = await hooks.post(
        f"/api/v1/quarantine/{deep_id}/replay", headers=admin, json={"body": fixed}
    )
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["outcome"] == "created"
