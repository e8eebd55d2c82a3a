"""``appeals sstu export|upload`` refuse what they cannot do well, with a clear message."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select
from typer.testing import CliRunner

from app.cli.root import cli
from app.models.outbox import OutboxMessage
from tests.support.servers import ROOT, app_env


def appeals(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=app_env(database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_refuses_a_suffix_it_does_not_write(tmp_path: Path) -> None:
    out = tmp_path / "x.txt"
    result = CliRunner().invoke(cli, ["sstu", "export", "--month", "2026-11", "--out", str(out)])
    assert result.exit_code == 2
    assert "must end in .zip" in result.output and ".json" in result.output
    assert not out.exists()


async def test_upload_refuses_a_month_that_has_not_ended(db, database_url) -> None:
    # The city's current month is never over yet; next January even less so.
    now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Vladivostok"))
    month = f"{now.year + 1}-01"
    result = await asyncio.to_thread(appeals, database_url, "sstu", "upload", "--month", month)
    assert result.returncode == 1, result.stdout
    assert f"{month} has not ended yet in the city's time zone" in result.stderr
    async with db.sessionmaker() as session:
        queued = await session.exec(select(OutboxMessage).where(OutboxMessage.target == "sstu"))
        assert queued.all() == []
