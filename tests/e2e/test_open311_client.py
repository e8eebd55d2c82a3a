"""Open311 through an existing GeoReport v2 client library (`georeport`, as published), against
a real API process: the service list, one request and a query, in JSON and in XML."""

from __future__ import annotations

import asyncio

import httpx
from georeport import GeoReport

from tests.support.builders import make_key
from tests.support.servers import start_api


async def test_georeport_client_reads_what_we_serve(db, database_url, tmp_path) -> None:
    key = await make_key(db, "integration", "press")
    api, base = start_api(database_url, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60.0) as http:
            created = await http.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": key,
                    "service_code": "waste",
                    "address_string": "ул. Советская, 12",
                    "description": "Переполнены контейнеры у дома",
                    "jurisdiction_id": "spassk-dalny",
                },
            )
        assert created.status_code == 200, created.text
        number = created.json()[0]["service_request_id"]

        def read(fmt: str) -> tuple[list, dict, list, dict]:
            client = GeoReport(f"{base}/open311/v2", jurisdiction="spassk-dalny", output_format=fmt)
            return (
                client.get_service_list(),
                client.get_service_request(number),
                client.get_service_requests(status="open", service_code="waste"),
                client.get_service_definition("waste"),
            )

        for fmt in ("json", "xml"):
            services, request, listed, definition = await asyncio.to_thread(read, fmt)
            codes = {s["service_code"]: s for s in services}
            assert codes["waste"]["group"] == "Отдел благоустройства"
            assert request["service_request_id"] == number
            assert request["status"] == "open"
            assert request["agency_responsible"] == "Отдел благоустройства"
            assert request["expected_datetime"]
            # xmltodict gives one element as a dict and several as a list.
            rows = listed if isinstance(listed, list) else [listed]
            assert [r["service_request_id"] for r in rows] == [number]
            assert definition["service_code"] == "waste"
    finally:
        api.stop()
