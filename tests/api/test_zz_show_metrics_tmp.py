from tests.support.builders import make_ticket
async def test_show(client, db):
    await make_ticket(db)
    r = await client.get("/metrics")
    open("/tmp/metrics_sample.txt", "w").write(r.text)
