"""Every edge of the state machine through the API: legal ones apply, illegal ones are 409."""

import pytest
from sqlalchemy import update

from app.models.common import Status
from app.models.tickets import Ticket
from app.tickets.lifecycle import TRANSITIONS, allowed_from
from tests.support.builders import auth, make_key, make_ticket

PAIRS = [(a, b) for a in Status for b in Status]


async def _force_status(db, ticket_id: int, status: Status) -> None:
    async with db.sessionmaker() as session:
        await session.exec(update(Ticket).where(Ticket.id == ticket_id).values(status=status.value))
        await session.commit()


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
async def test_transition_edge(client, db, current: Status, target: Status) -> None:
    token = await make_key(db, "operator", "roads")
    ticket = await make_ticket(db)
    main = await make_ticket(db)
    await _force_status(db, ticket.id, current)
    body = {"to": target.value, "reason": "проверка", "redirect_to": "Минздрав Приморского края"}
    if target == Status.merged:
        body["duplicate_of"] = main.id
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json=body, headers=auth(token)
    )
    if target in TRANSITIONS[current]:
        assert r.status_code == 200, r.text
        assert r.json()["status"] == target.value
        events = (
            await client.get(f"/api/v1/tickets/{ticket.id}/events", headers=auth(token))
        ).json()
        last = events[-1]
        assert last["type"] == "status_changed"
        assert (last["data"]["before"], last["data"]["after"]) == (current.value, target.value)
    else:
        assert r.status_code == 409, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["allowed"] == allowed_from(current)
        assert problem["current"] == current.value
        got = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
        assert got["status"] == current.value


async def test_reason_required_for_hold(client, db) -> None:
    token = await make_key(db, "operator", "roads")
    ticket = await make_ticket(db)
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json={"to": "on_hold"}, headers=auth(token)
    )
    assert r.status_code == 422
    assert "reason" in r.json()["detail"]


async def test_final_answer_moves_to_answered_and_reopen(client, db) -> None:
    token = await make_key(db, "operator", "roads")
    ticket = await make_ticket(db)
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "Яму заделали", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201
    got = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=auth(token))).json()
    assert got["status"] == "answered"
    assert got["answered_at"] is not None and got["first_responded_at"] is not None
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/transitions",
        json={"to": "in_progress", "reason": "житель: яма снова"},
        headers=auth(token),
    )
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/answers",
        json={"text": "ещё раз", "kind": "final"},
        headers=auth(token),
    )
    assert r.status_code == 201
    answers = (await client.get(f"/api/v1/tickets/{ticket.id}/answers", headers=auth(token))).json()
    assert [a["text"] for a in answers] == ["Яму заделали", "ещё раз"]


async def test_merge_needs_target(client, db) -> None:
    token = await make_key(db, "operator", "roads")
    ticket = await make_ticket(db)
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json={"to": "merged"}, headers=auth(token)
    )
    assert r.status_code == 422
    r = await client.post(
        f"/api/v1/tickets/{ticket.id}/transitions",
        json={"to": "merged", "duplicate_of": ticket.id},
        headers=auth(token),
    )
    assert r.status_code == 422
