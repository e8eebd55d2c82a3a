"""``appeals import`` and ``appeals quarantine`` as an operator runs them."""

import asyncio
import io
import os
import pty
import re
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from app.intake.imports import export_format, rows_below_header
from app.models.inbound import InboundDelivery
from app.models.tickets import Ticket
from tests.support.servers import ROOT, app_env
from tests.support.xlsx import edit_parts, header, workbook_bytes

CLI = [sys.executable, "-c", "from app.cli.root import main; main()"]


def appeals(database_url, *args):
    return subprocess.run(
        [*CLI, *args],
        env=app_env(database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def im_rows(n):
    return [
        {
            "Дата создания": "19.11.2026",
            "Группа тем": "Благоустройство",
            "Тема": "Освещение",
            "Текст": f"Не горит фонарь у дома {i}",
            "Важность": "Обычная",
            "Урл блога": f"https://vk.com/wall-1_{i}",
        }
        for i in range(n)
    ] + [{"Дата создания": "вчера", "Урл блога": "https://vk.com/wall-1_bad"}]


async def count(db, model):
    async with db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_cli_import_is_idempotent(db, database_url, tmp_path):
    path = tmp_path / "detalizaciya.xlsx"
    path.write_bytes(workbook_bytes([("Детализация", header("im"), im_rows(30))]))
    first = await asyncio.to_thread(
        appeals, database_url, "import", "incident-management", str(path)
    )
    assert first.returncode == 0, first.stderr
    assert "created: 30" in first.stdout and "rejected: 1" in first.stdout
    assert "row 32: Дата создания" in first.stderr
    again = await asyncio.to_thread(
        appeals, database_url, "import", "incident-management", str(path)
    )
    assert "created: 0" in again.stdout and "unchanged: 30" in again.stdout
    assert await count(db, Ticket) == 30


async def test_cli_quarantine_list_and_replay(db, database_url, tmp_path):
    async with db.sessionmaker() as session:
        session.add(
            InboundDelivery(
                source="incident_management",
                webhook_id="msg_cli",
                body=b'{"id": "im-1", "text": "Fix me"}',
                outcome="invalid",
                error_detail="post_url: Field required",
            )
        )
        await session.commit()
    listed = await asyncio.to_thread(appeals, database_url, "quarantine", "list")
    assert listed.returncode == 0, listed.stderr
    assert "msg_cli" in listed.stdout and "quarantined" in listed.stdout
    fixed = tmp_path / "fixed.json"
    fixed.write_text(
        '{"id": "im-1", "created_at": "2026-11-19T09:12:00+10:00", "network": "vk",'
        ' "post_url": "https://vk.com/wall-1_1", "text": "Не работает светофор",'
        ' "theme_group": "Дороги", "theme": "Светофоры", "importance": "Обычная"}',
        encoding="utf-8",
    )
    replayed = await asyncio.to_thread(
        appeals, database_url, "quarantine", "replay", "1", "--body", str(fixed)
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "created ticket SD-" in replayed.stdout
    assert await count(db, Ticket) == 1


async def test_cli_errors_are_messages(db, database_url):
    missing = await asyncio.to_thread(appeals, database_url, "quarantine", "replay", "999")
    assert missing.returncode == 1
    assert "no quarantined delivery 999" in missing.stderr
    assert "Traceback" not in missing.stderr


async def test_cli_stdout_holds_the_summary_alone(db, database_url, tmp_path):
    """`appeals import … | head -1` once printed the progress bar's label «rows»."""
    path = tmp_path / "detalizaciya.xlsx"
    path.write_bytes(workbook_bytes([("Детализация", header("im"), im_rows(3))]))
    done = await asyncio.to_thread(
        appeals, database_url, "import", "incident-management", str(path)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("rows: 4, created: 3, updated: 0, unchanged: 0, stale: 0, rejected: 1\n")
    assert done.stderr.splitlines() == ["row 5: Дата создания: 'вчера' is not a dd.mm.yyyy date"]


@pytest.mark.parametrize("sized", [True, False], ids=["sized-sheet", "unsized-sheet"])
async def test_cli_progress_bar_goes_to_a_terminals_stderr(db, database_url, tmp_path, sized):
    """The bar counts the rows under the header (an export's title rows and its header are not
    rows to import) and is full when the last ticket is made."""
    path = tmp_path / "detalizaciya.xlsx"
    streamed = workbook_bytes([("Детализация", header("im"), im_rows(3)[:3])], title_rows=2)
    if sized:  # saved as a back office saves it: the sheet knows its size (write-only files do not)
        book = load_workbook(io.BytesIO(streamed))
        book.save(path)
        assert book.worksheets[0].max_row == 6
    else:
        path.write_bytes(streamed)
    with path.open("rb") as handle:
        assert rows_below_header(handle, export_format("incident-management")) == 3
    primary, secondary = pty.openpty()
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            [*CLI, "import", "incident-management", str(path)],
            env=app_env(database_url),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=secondary,
            text=True,
            timeout=120,
        )
        os.close(secondary)
        terminal = _read_all(primary)
    finally:
        os.close(primary)
    assert done.returncode == 0
    assert done.stdout == "rows: 3, created: 3, updated: 0, unchanged: 0, stale: 0, rejected: 0\n"
    percents = [int(p) for p in re.findall(r"(\d+)%", terminal)]
    assert "rows" in terminal and percents, terminal
    assert percents[-1] == 100 and max(percents) == 100, terminal


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


async def test_cli_corrupt_file_is_one_line_and_imports_nothing(db, database_url, tmp_path):
    content = workbook_bytes([("Детализация", header("im"), im_rows(1200))])
    mark = b"https://vk.com/wall-1_700<"  # row 702: the header, then rows 0…

    def edit(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        return data.replace(mark, b"https://vk.com/wall-1_700&#0;<")

    path = tmp_path / "detalizaciya.xlsx"
    path.write_bytes(edit_parts(content, edit))
    done = await asyncio.to_thread(
        appeals, database_url, "import", "incident-management", str(path)
    )
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "error: bad encoding in sheet «Детализация» (xl/worksheets/sheet1.xml), row 702, "
    ), line
    assert "a character reference XML forbids (&#0;); nothing was imported" in line
    assert await count(db, Ticket) == 0
