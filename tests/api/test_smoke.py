from tests.support.builders import auth, make_key, make_ticket


async def test_list_own_department(client, db):
    token = await make_key(db, "operator", "roads")
    ticket = await make_ticket(db)
    r = await client.get("/api/v1/tickets", headers=auth(token))
    assert r.status_code == 200
    assert [t["id"] for t in r.json()["items"]] == [ticket.id]
