"""Schemathesis with every check (`--checks all`) against the running API, including
object-level authorisation between two departments' operators (a Web Fuzzing Commons auth
file with two peers) and ignored-auth; the ПОС and IM webhooks get their generated bodies signed
by a hook (tests/support/schemathesis_hooks.py), so they are fuzzed past the signature.
Bounded examples under `make test`; APPEALS_FUZZ_EXAMPLES raises them for `make fuzz`.
test_schemathesis.py is the first, narrower run; this one adds the data-rejection, auth and
stateful checks."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from tests.support.builders import make_key, make_ticket
from tests.support.servers import ROOT, start_api
from tests.support.webhooks import NEW_SECRET


@pytest.mark.slow  # about 2.5 min with 5 examples; `make fuzz` runs it with 500
async def test_schemathesis_all_checks_with_two_departments(db, database_url, tmp_path):
    roads = await make_key(db, "operator", "roads")
    zhkh = await make_key(db, "operator", "zhkh")
    for _ in range(2):
        await make_ticket(db)  # roads
        await make_ticket(db, category_code="heating", text="Холодные батареи в квартире")
    auth_file = tmp_path / "auth.json"
    peers = [
        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
        for name, token in (("roads", roads), ("zhkh", zhkh))
    ]
    auth_file.write_text(json.dumps({"auth": peers}))
    # Schema-valid input a business rule refuses is answered with a documented problem: an
    # illegal transition (409), a stale or missing If-Match (412, 428), a category or ticket
    # state the request does not fit (422). Everything else stays as schemathesis expects.
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[checks.positive_data_acceptance]\n"
        'expected-statuses = ["2XX", "401", "403", "404", "409", "412", "422", "428"]\n'
    )
    api, base = await asyncio.to_thread(
        start_api,
        database_url,
        tmp_path,
        APPEALS_RATE_LIMIT_PER_MINUTE="0",
        APPEALS_FEEDBACK_PLATFORM_WEBHOOK_SECRETS=NEW_SECRET,
        APPEALS_INCIDENT_MANAGEMENT_WEBHOOK_SECRETS=NEW_SECRET,
    )
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.support.schemathesis_hooks")
    env["APPEALS_FUZZ_WEBHOOK_SECRET"] = NEW_SECRET
    env["PYTHONPATH"] = str(ROOT)
    examples = os.environ.get("APPEALS_FUZZ_EXAMPLES", "5")
    try:
        result = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
                "run", f"{base}/openapi.json",
                "--checks", "all", "--max-examples", examples, "--seed", "20261126",
                "--generation-database", "none", "--no-color", "--workers", "1",  # gh-106905
                "--auth-wfc", str(auth_file),
                "--report", "junit", "--report-dir", str(tmp_path / "st"),
            ],
            capture_output=True, text=True, timeout=1500, env=env, cwd=ROOT,
        )  # fmt: skip
    finally:
        api.stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:] + "\n--- api log ---\n" + api.log()[-3000:]
    assert "Internal Server Error" not in api.log()
