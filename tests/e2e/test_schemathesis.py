"""Schemathesis over every operation of the running API, with real keys (bounded examples).

`make test` runs a bounded number of examples per operation; `make fuzz` sets
APPEALS_FUZZ_EXAMPLES higher.
"""

import asyncio
import os
import subprocess
import sys

from tests.support.builders import make_key, make_ticket
from tests.support.servers import start_api

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


async def test_schemathesis_against_running_api(db, database_url, tmp_path):
    token = await make_key(db, "operator", "roads")
    for _ in range(3):
        await make_ticket(db)
    api, base = start_api(database_url, tmp_path)
    examples = os.environ.get("APPEALS_FUZZ_EXAMPLES", "10")
    try:
        result = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{base}/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                examples,
                "--seed",
                "20261126",
                "--generation-database",
                "none",
                "--no-color",
                # One worker: CPython 3.11 before 3.11.8 can fail ast.parse when two threads
                # parse at once (gh-106905), which hypothesis does while describing strategies.
                "--workers",
                "1",
                "--phases",
                "examples,coverage,fuzzing",
                "-H",
                f"Authorization: Bearer {token}",
                "--report",
                "junit",
                "--report-dir",
                str(tmp_path / "st"),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        api.stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:] + "\n--- api log ---\n" + api.log()[-4000:]
    assert "Internal Server Error" not in api.log()
