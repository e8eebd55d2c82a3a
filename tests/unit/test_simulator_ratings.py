"""The demo's simulated sources rate the hub's final answers: ПОС pushes the item again with the
citizen's «Оценка» (1–5), IM closes the incident with «Причина закрытия» — so the satisfaction
panels of `make run` have data."""

from __future__ import annotations

import json

import httpx

from app.connectors.feedback_platform.inbound import FeedbackPlatformConnector
from app.connectors.incident_management.inbound import IncidentManagementConnector
from app.connectors.incident_management.inbound import close_reason as im_close_reason
from app.tools.simulators import common, feedback_platform, incident_management
from app.tools.simulators.common import Push


def envelope(kind: str, **data: str) -> dict:
    return {
        "id": f"answer-{kind}",
        "type": kind,
        "created_at": "2026-11-20T00:00:00Z",
        "data": data,
    }


async def post(app, path: str, body: dict) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as c:
        return await c.post(path, json=body, headers={"webhook-id": body["id"]})


async def test_pos_citizen_rates_a_final_answer_not_an_interim_one():
    config = feedback_platform.PosConfig(rating_share=1.0)
    app, _sim, pusher = feedback_platform.build_app(
        target=None, secret=None, outbound_secret=None, rate=0, seed=7, config=config
    )
    first = app.state.script()[0][1].body
    pos_id = str(first["posId"])
    path = f"/appeal-service/external-appeal-system/appeals/{pos_id}/responses"
    assert (await post(app, path, envelope("interim_answer", source_id=pos_id))).status_code == 200
    assert pusher.follow_ups == []
    assert (await post(app, path, envelope("answer", source_id=pos_id))).status_code == 200
    (push,) = pusher.follow_ups
    assert push.label == "rating" and push.body["posId"] == first["posId"]
    draft = FeedbackPlatformConnector().parse(httpx.Request("POST", "/", json=push.body).content)
    assert draft.feedback is not None and draft.feedback.score == push.body["rating"]


async def test_im_moderators_close_with_the_authors_reaction():
    config = incident_management.ImConfig(rating_share=1.0)
    app, _sim, pusher = incident_management.build_app(
        target=None, secret=None, outbound_secret=None, rate=0, seed=3, config=config
    )
    item = app.state.script()[0][1].body
    answer = envelope("answer", source_url=item["post_url"])
    assert (await post(app, "/api/comments", answer)).status_code == 200
    (push,) = pusher.follow_ups
    assert push.body["status"] == "closed" and push.body["post_url"] == item["post_url"]
    assert push.body["updated_at"] > item["updated_at"]
    assert im_close_reason(push.body["closure_reason"]) is not None  # a reason the hub reads
    draft = IncidentManagementConnector().parse(httpx.Request("POST", "/", json=push.body).content)
    assert draft.feedback is not None


async def test_follow_ups_go_out_with_the_next_item(monkeypatch):
    sent: list[dict] = []

    def hub(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(202)

    app, _sim, pusher = incident_management.build_app(
        target="http://hub/webhook", secret=None, outbound_secret=None, rate=0, seed=5
    )
    pusher.follow_up(Push({"id": "rated"}, label="rating"))
    client = httpx.AsyncClient
    monkeypatch.setattr(
        common.httpx,
        "AsyncClient",
        lambda **kwargs: client(transport=httpx.MockTransport(hub), **kwargs),
    )
    await pusher.run(app.state.script, count=1)
    assert {"id": "rated"} in sent
    assert pusher.counts["rating"] == 1 and pusher.follow_ups == []
