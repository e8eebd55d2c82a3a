"""Negative citizen feedback is visible in the console inbox (issue 11)."""

from app.models.common import Role
from tests.api.test_console import make_user, sign_in
from tests.support.builders import auth, make_key, make_ticket


async def test_inbox_marks_tickets_the_citizen_was_unhappy_with(db, client):
    unhappy = await make_ticket(db)
    calm = await make_ticket(db)
    token = await make_key(db, "operator", "roads")
    for ticket in (unhappy, calm):
        r = await client.post(
            f"/api/v1/tickets/{ticket.id}/answers",
            json={"text": "Сделано", "kind": "final"},
            headers=auth(token),
        )
        assert r.status_code == 201
    r = await client.post(
        f"/api/v1/tickets/{unhappy.id}/feedback", json={"score": 1}, headers=auth(token)
    )
    assert r.status_code in (200, 201), r.text
    await make_user(db, "ivanova", Role.operator, "roads")
    await sign_in(client, "ivanova")
    html = (await client.get("/console")).text
    # The low score reopened the ticket, so it is back in the inbox with the mark.
    row = html.split(unhappy.number, 1)[1].split("</li>", 1)[0]
    assert "житель недоволен ответом" in row
    assert calm.number not in html  # answered, not open: not in the inbox
