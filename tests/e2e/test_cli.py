"""The `appeals` command line against a real database."""

import asyncio
import subprocess
import sys

import httpx

from tests.support.servers import app_env, start_api


async def appeals(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app", *args],
        env=app_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_api_key_created_by_cli_works_and_revokes(db, database_url, tmp_path):
    created = await appeals(
        database_url,
        "api-keys",
        "create",
        "--department",
        "roads",
        "--role",
        "operator",
        "--name",
        "Иванова",
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("apk_")
    api, base = start_api(database_url, tmp_path)
    try:
        async with httpx.AsyncClient() as c:
            r = await c.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}
        listed = await appeals(database_url, "api-keys", "list")
        assert token not in listed.stdout
        key_id = next(
            line.split("\t")[0] for line in listed.stdout.splitlines() if "Иванова" in line
        )
        revoked = await appeals(database_url, "api-keys", "revoke", key_id)
        assert revoked.returncode == 0
        async with httpx.AsyncClient() as c:
            r = await c.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    finally:
        api.stop()


async def test_admin_key_needs_no_department_but_operator_does(db, database_url):
    bad = await appeals(database_url, "api-keys", "create", "--role", "operator")
    assert bad.returncode != 0
    assert "needs a department" in (bad.stdout + bad.stderr)


async def test_load_config_twice_reports_nothing_changed(db, database_url):
    first = await appeals(database_url, "load-config", "config/city.example.yaml")
    assert first.returncode == 0, first.stderr
    again = await appeals(database_url, "load-config", "config/city.example.yaml")
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stdout and "updated" not in again.stdout
    assert "unchanged" in again.stdout
