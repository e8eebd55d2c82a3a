"""Open311 GeoReport v2, read the way GeoReport clients read it (JSON lists, xml.etree)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from sqlmodel import select

from app.models.tickets import Applicant, Ticket
from tests.support.builders import auth, make_key

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 11:00 in Vladivostok
FORM = {
    "service_code": "roads",
    "lat": "44.598",
    "long": "132.812",
    "address_string": "ул. Ленина, 5",
    "description": "Глубокая яма на проезжей части, звоните +7 924 123-45-67",
    "email": "olga@example.ru",
    "first_name": "Ольга",
    "last_name": "Петрова",
    "phone": "+79241234567",
    "media_url": "https://example.ru/photo.jpg",
    "jurisdiction_id": "spassk-dalny",
}
PERSONAL = ("olga@example.ru", "Петрова", "79241234567", "123-45-67")


async def _post(client, key: str, **overrides: str):
    return await client.post(
        "/open311/v2/requests.json", data={**FORM, "api_key": key, **overrides}
    )


async def _ticket(db, number: str) -> Ticket:
    async with db.sessionmaker() as session:
        return (await session.exec(select(Ticket).where(Ticket.number == number))).one()


class TestServices:
    async def test_services_are_the_taxonomy_grouped_by_department(self, client) -> None:
        services = (await client.get("/open311/v2/services.json")).json()
        by_code = {s["service_code"]: s for s in services}
        assert by_code["roads"]["service_name"] == "Дороги"
        assert by_code["roads"]["group"] == "Отдел дорог и транспорта"
        assert by_code["waste"]["group"] == "Отдел благоустройства"
        for service in services:
            assert set(service) >= {
                "service_code",
                "service_name",
                "description",
                "metadata",
                "type",
                "keywords",
                "group",
            }
            assert service["metadata"] is False and service["type"] == "realtime"

    async def test_services_xml(self, client) -> None:
        response = await client.get("/open311/v2/services.xml")
        assert response.headers["content-type"].startswith("text/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "services"
        codes = {s.findtext("service_code"): s for s in root.findall("service")}
        assert codes["roads"].findtext("group") == "Отдел дорог и транспорта"
        assert codes["roads"].findtext("metadata") == "false"

    async def test_definition_and_unknown_service(self, client) -> None:
        definition = (await client.get("/open311/v2/services/roads.json")).json()
        assert definition == {"service_code": "roads", "attributes": []}
        root = ET.fromstring((await client.get("/open311/v2/services/roads.xml")).content)
        assert root.tag == "service_definition" and root.findtext("service_code") == "roads"
        missing = await client.get("/open311/v2/services/nope.json")
        assert missing.status_code == 404
        assert missing.json()[0]["code"] == 404

    async def test_discovery(self, client) -> None:
        data = (await client.get("/open311/v2/discovery.json")).json()
        endpoint = data["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2/")
        root = ET.fromstring((await client.get("/open311/v2/discovery.xml")).content)
        assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
            "application/json",
            "text/xml",
        ]


class TestCreate:
    async def test_post_makes_an_open311_ticket_and_reads_back(self, client, db, app) -> None:
        app.state.clock = lambda: NOW
        key = await make_key(db, "integration", "press")
        response = await _post(client, key)
        assert response.status_code == 200, response.text
        [created] = response.json()
        number = created["service_request_id"]
        assert number.startswith("SD-2026-")

        ticket = await _ticket(db, number)
        assert (ticket.source, ticket.kind, ticket.channel) == ("open311", "open311_request", "web")
        assert ticket.category_code == "roads" and ticket.department_code == "roads"
        assert ticket.attachments == [{"url": "https://example.ru/photo.jpg"}]
        async with db.sessionmaker() as session:
            applicant = await session.get(Applicant, ticket.applicant_id)
        assert applicant is not None and applicant.email == "olga@example.ru"

        [request] = (await client.get(f"/open311/v2/requests/{number}.json")).json()
        assert request["service_request_id"] == number
        assert request["status"] == "open"
        assert request["service_code"] == "roads"
        assert request["agency_responsible"] == "Отдел дорог и транспорта"
        assert request["lat"] == 44.598 and request["long"] == 132.812
        assert request["media_url"] == "https://example.ru/photo.jpg"
        assert ticket.resolution_due_at is not None
        expected = datetime.fromisoformat(request["expected_datetime"])
        assert expected == ticket.resolution_due_at.replace(microsecond=0)
        assert datetime.fromisoformat(request["requested_datetime"]) == NOW

    async def test_same_submission_twice_is_one_request(self, client, db) -> None:
        key = await make_key(db, "integration", "press")
        first = (await _post(client, key)).json()[0]["service_request_id"]
        again = (await _post(client, key)).json()[0]["service_request_id"]
        assert first == again

    async def test_xml_answer(self, client, db) -> None:
        key = await make_key(db, "integration", "press")
        response = await client.post("/open311/v2/requests.xml", data={**FORM, "api_key": key})
        root = ET.fromstring(response.content)
        assert root.tag == "service_requests"
        assert root.find("request/service_request_id").text.startswith("SD-")

    async def test_errors_in_the_spec_format(self, client, db) -> None:
        operator = await make_key(db, "operator", "roads")
        integration = await make_key(db, "integration", "press")
        cases = [
            ({"api_key": "wrong"}, 403),
            ({"api_key": operator}, 403),
            ({"api_key": integration, "service_code": "nope"}, 404),
            ({"api_key": integration, "service_code": ""}, 400),
            ({"api_key": integration, "lat": "", "long": "", "address_string": ""}, 400),
            ({"api_key": integration, "lat": "north"}, 400),
        ]
        for fields, status in cases:
            response = await client.post("/open311/v2/requests.json", data={**FORM, **fields})
            assert response.status_code == status, fields
            [error] = response.json()
            assert error["code"] == status and error["description"]
        xml = await client.post("/open311/v2/requests.xml", data={**FORM, "api_key": "x"})
        root = ET.fromstring(xml.content)
        assert root.tag == "errors" and root.findtext("error/code") == "403"
        assert (await client.get("/open311/v2/services.yaml")).json()[0]["code"] == 400


class TestQuery:
    async def test_filters_status_notes_and_no_personal_data(self, client, db, app) -> None:
        app.state.clock = lambda: NOW
        key = await make_key(db, "integration", "press")
        roads = (await _post(client, key)).json()[0]["service_request_id"]
        app.state.clock = lambda: NOW + timedelta(days=2)
        waste = (
            await _post(client, key, service_code="waste", description="Переполнены баки")
        ).json()[0]["service_request_id"]
        operator = await make_key(db, "operator", "blago")
        ticket = await _ticket(db, waste)
        answer = await client.post(
            f"/api/v1/tickets/{ticket.id}/answers",
            json={
                "text": "Ольга Игоревна, баки вывезены, вопросы: +7 924 123-45-67",
                "kind": "final",
            },
            headers=auth(operator),
        )
        assert answer.status_code in (200, 201), answer.text

        app.state.clock = lambda: NOW + timedelta(days=3)
        everything = await client.get("/open311/v2/requests.json")
        assert {r["service_request_id"] for r in everything.json()} == {roads, waste}
        for leak in PERSONAL:
            assert leak not in everything.text

        closed = (await client.get("/open311/v2/requests.json?status=closed")).json()
        assert [r["service_request_id"] for r in closed] == [waste]
        # The open data says an answer was given, not what a department wrote to one person
        # (a name, a phone): a mass incident's public message is shown (test_incident_late_
        # reports), an individual answer is read where the citizen wrote.
        assert closed[0]["status_notes"] == "Ответ дан"
        assert "Ольга" not in everything.text
        opened = (await client.get("/open311/v2/requests.json", params={"status": "open"})).json()
        assert [r["service_request_id"] for r in opened] == [roads]
        by_code = (await client.get("/open311/v2/requests.json?service_code=waste")).json()
        assert [r["service_request_id"] for r in by_code] == [waste]
        by_ids = await client.get(
            "/open311/v2/requests.json", params={"service_request_id": f"{roads},{waste}"}
        )
        assert len(by_ids.json()) == 2
        window = await client.get(
            "/open311/v2/requests.json",
            params={
                "start_date": (NOW + timedelta(days=1)).isoformat(),
                "end_date": (NOW + timedelta(days=3)).isoformat(),
            },
        )
        assert [r["service_request_id"] for r in window.json()] == [waste]
        limited = await client.get("/open311/v2/requests.json?page_size=1")
        assert len(limited.json()) == 1

        root = ET.fromstring((await client.get("/open311/v2/requests.xml?status=closed")).content)
        [request] = root.findall("request")
        assert request.findtext("service_request_id") == waste
        assert request.findtext("status") == "closed"
        assert request.findtext("agency_responsible") == "Отдел благоустройства"

    async def test_unknown_request_and_bad_filters(self, client) -> None:
        missing = await client.get("/open311/v2/requests/SD-2026-999999.json")
        assert missing.status_code == 404 and missing.json()[0]["code"] == 404
        bad = await client.get("/open311/v2/requests.json?status=maybe")
        assert bad.status_code == 400
        bad_date = await client.get("/open311/v2/requests.xml?start_date=yesterday")
        assert ET.fromstring(bad_date.content).findtext("error/code") == "400"
