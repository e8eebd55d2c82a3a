"""Figures measured in-process: the SLA sweep and the Excel import, each with its baseline.

- SLA sweep: every seeded ticket is made open with its at-risk/breach thresholds already
  passed (the worst case: a sweeper catching up after downtime over all N open tickets), then
  ``app.sla.sweeper.sweep`` runs to completion; a second sweep with nothing due
  shows the steady-state cost. Baseline: one ``UPDATE`` touching the same rows' check column
  (the least set-based work a sweep over N tickets can do).
- Excel import: a ПОС back-office export (ЛК ОА columns, DOMAIN.md) of M rows through
  ``app.intake.imports.import_workbook``; baseline: openpyxl reading the same file.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import asyncpg

from bench import pg
from bench.bodies import POS_SUBJECTS
from bench.texts import person

POS_EXPORT_COLUMNS = [
    "Номер",
    "Номер ЕПГУ",
    "Источник",
    "Верхнеуровневый ЛКО",
    "Категория",
    "Подкатегория",
    "Факт",
    "Организация, в которую поступило сообщение",
    "Организация, в которой находится сообщение",
    "Дата поступления",
    "Дата планируемого завершения работ",
    "Дата фактического завершения работ",
    "Стадия",
    "Статус",
    "Просрочено",
    "Фаст-трек",
    "ФЗ",
    "Заявитель выбрал подачу по 59-ФЗ",
    "Тип решения",
    "Оценка ответа заявителем",
    "Повторное рассмотрение",
    "ФИО координатора",
    "ФИО исполнителя",
    "ФИО руководителя",
]
STATUSES = [
    ("Назначен исполнитель", "В работе"),
    ("Отправлен ответ заявителю", "Завершено"),
    ("На модерации", "Модерация"),
]


def pos_export(rows: int, *, start: int, seed: int = 11) -> bytes:
    """An .xlsx like the ЛК ОА export, ``rows`` messages numbered from ``start``."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Сообщения")
    ws.append(POS_EXPORT_COLUMNS)
    org = "Администрация городского округа Спасск-Дальний"
    today = datetime.now(UTC)
    for i in range(rows):
        subject, subsubject, _ = rng.choice(POS_SUBJECTS)
        received = today - timedelta(days=rng.randint(1, 300))
        status, stage = rng.choice(STATUSES)
        done = status.startswith("Отправлен")
        fio = " ".join(person(rng))
        ws.append(
            [
                str(start + i),
                str(rng.randint(10**9, 10**10)),
                "ЕПГУ",
                "Приморский край",
                subject,
                subsubject,
                "",
                org,
                org,
                received.strftime("%d.%m.%Y"),
                (received + timedelta(days=10)).strftime("%d.%m.%Y"),
                (received + timedelta(days=rng.randint(1, 9))).strftime("%d.%m.%Y") if done else "",
                stage,
                status,
                "Нет",
                "Нет",
                "Обычное сообщение",
                "Нет",
                "Разъяснено" if done else "",
                str(rng.randint(1, 5)) if done else "-",
                "Нет",
                fio,
                fio,
                fio,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def excel_import(ctx: Any, rows: int, workers: int = 0) -> dict[str, Any]:
    """Upload to last ticket of a ПОС export of ``rows`` rows: this process stores the rows and
    is one pipeline; ``workers`` more ``appeals worker --loop intake`` processes drain the same
    inbox meanwhile, as the deployment's worker does (started and warm before the clock)."""
    from app.config import get_settings
    from app.db import Database
    from app.intake.imports import export_format, import_workbook, open_rows
    from app.metrics.hooks import install_metric_hooks

    data = pos_export(rows, start=700_000_000 + 1_000_000 * workers)
    t0 = time.perf_counter()
    parsed = sum(1 for _ in open_rows(io.BytesIO(data), export_format("feedback_platform")))
    baseline_s = time.perf_counter() - t0
    settings = get_settings()
    install_metric_hooks()
    db = Database(pg.app_url(ctx.name), settings)
    try:
        with intake_workers(ctx.name, workers):
            t0 = time.perf_counter()
            # From the upload to the last ticket: this process is a pipeline that makes them.
            report = await import_workbook(
                db,
                io.BytesIO(data),
                source="feedback_platform",
                tz=settings.tz,
                now=datetime.now(UTC),
                batch_rows=settings.import_batch_rows,
            )
            seconds = time.perf_counter() - t0
    finally:
        await db.dispose()
    with_workers = f", the importing process + {workers} worker" if workers else ""
    return {
        "rows": rows,
        "workers": workers,
        "created": len(report.created),
        "rejected": len(report.rejected),
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds, 1),
        "baseline_rows_per_s": round(parsed / baseline_s, 1),
        "table": [
            {
                "figure": f"Excel import rows/s (ПОС export, {rows} rows{with_workers})",
                "value": round(rows / seconds, 1),
                "baseline": round(parsed / baseline_s, 1),
                "ratio": round((rows / seconds) / (parsed / baseline_s), 3),
                "target": "≥ 2000 rows/s",
            },
        ],
    }


@contextlib.contextmanager
def intake_workers(name: str, count: int) -> Iterator[None]:
    """``count`` worker processes running only the intake loop on database ``name``, each
    waited for until its log says it started; stopped (SIGTERM, by pid) on leaving."""
    env = {**os.environ, "APPEALS_DATABASE_URL": pg.app_url(name), "APPEALS_LOG_JSON": "false"}
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in range(count)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app", "worker", "--loop", "intake"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for log in logs
        ]
        try:
            for proc, log in zip(procs, logs, strict=True):
                _wait_started(proc, log)
            yield
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_started(proc: subprocess.Popen[bytes], log: IO[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        if "worker started" in log.read():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"an intake worker exited with {proc.returncode}")
        time.sleep(0.1)
    raise RuntimeError("an intake worker did not start within a minute")


OPEN_ALL = """
UPDATE tickets SET
    status = CASE WHEN status IN ('new','routed','in_progress') THEN status ELSE 'in_progress' END,
    closed_at = NULL, answered_at = NULL, first_responded_at = NULL, on_hold_since = NULL,
    first_response_risk_at = created_at + (first_response_due_at - created_at) * 0.75,
    resolution_risk_at = created_at + (resolution_due_at - created_at) * 0.75,
    sla_next_check_at = LEAST(created_at + (first_response_due_at - created_at) * 0.75,
                              created_at + (resolution_due_at - created_at) * 0.75)
"""
# Every ticket open; the due slice (every k-th) has its thresholds behind it, the rest have
# theirs ahead (their next check some time in the coming month), as after a long outage.
NOT_DUE = """
UPDATE tickets
SET sla_next_check_at = now() + interval '1 minute' + (id % 43200) * interval '1 minute'
WHERE id % $1 <> 0
"""
REDUE = """
WITH cleared AS (DELETE FROM sla_marks)
UPDATE tickets SET sla_next_check_at = LEAST(first_response_risk_at, resolution_risk_at)
WHERE id % $1 = 0
"""
OPEN = "SELECT count(*) FROM tickets WHERE status IN ('new','routed','in_progress','on_hold')"
DUE = "SELECT count(*) FROM tickets WHERE sla_next_check_at <= $1"


def _sweepers(name: str, now: datetime, processes: int) -> dict[str, Any]:
    """``processes`` sweeper processes over the same due tickets. ``sweep_s``: the longest
    sweep measured inside a process (without interpreter start-up, which ``wall_s`` has)."""
    import json
    import subprocess
    import sys

    args = [sys.executable, "-m", "bench.sweeper", "--database", name, "--now", now.isoformat()]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE) for _ in range(processes)]
    outs = [json.loads(p.communicate()[0]) for p in procs]
    return {
        "wall_s": round(time.perf_counter() - t0, 2),
        "sweep_s": round(max(o["seconds"] for o in outs), 3),
        "picked": [o["picked"] for o in outs],
        "process_s": [round(o["seconds"], 2) for o in outs],
    }


async def sla_sweep(ctx: Any, due_slice: int = 10) -> dict[str, Any]:
    """Catch-up over the due slice (one and two sweeper processes); a pass over N open."""
    conn = await asyncpg.connect(pg.dsn(ctx.name))
    try:
        t0 = time.perf_counter()
        await conn.execute(OPEN_ALL)
        prep_s = time.perf_counter() - t0
        await conn.execute(NOT_DUE, due_slice)
        await conn.execute("VACUUM ANALYZE tickets")
        now = datetime.now(UTC)
        open_n = await conn.fetchval(OPEN)
        due_n = await conn.fetchval(DUE, now)
        one = _sweepers(ctx.name, now, 1)
        await conn.execute(REDUE, due_slice)
        await conn.execute("VACUUM ANALYZE tickets")
        two = _sweepers(ctx.name, now, 2)
        steady = _sweepers(ctx.name, now + timedelta(seconds=60), 1)
    finally:
        await conn.close()
    per_s = round(due_n / one["sweep_s"]) if one["sweep_s"] else "-"
    return {
        "open_tickets": open_n,
        "due_tickets": due_n,
        "prepare_update_s": round(prep_s, 1),
        "catch_up_1": one,
        "catch_up_2": two,
        "steady": steady,
        "table": [
            {
                "figure": f"SLA sweep catch-up s, 1 sweeper ({open_n} open, {due_n} due)",
                "value": one["sweep_s"],
                "baseline": round(prep_s, 2),
                "ratio": round(one["sweep_s"] / prep_s, 2) if prep_s else "-",
                "target": f"≤ 2 s at 1 000 000 open (baseline: one UPDATE of all rows); {per_s}/s",
            },
            {
                "figure": f"SLA sweep catch-up s, 2 sweeper processes ({due_n} due)",
                "value": two["sweep_s"],
                "baseline": one["sweep_s"],
                "ratio": round(two["sweep_s"] / one["sweep_s"], 2) if one["sweep_s"] else "-",
                "target": "< 1 (baseline: 1 sweeper)",
            },
            {
                "figure": f"SLA sweep pass s ({open_n} open, nothing due 1 min later)",
                "value": steady["sweep_s"],
                "baseline": "-",
                "ratio": "-",
                "target": "≤ 2 s",
            },
        ],
    }


async def run(ctx: Any, *, import_rows: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, job in (
        ("excel_import", lambda: excel_import(ctx, import_rows)),
        ("excel_import_with_worker", lambda: excel_import(ctx, import_rows, workers=1)),
        ("sla_sweep", lambda: sla_sweep(ctx)),
    ):
        try:
            out[key] = await job()
        except Exception as exc:  # a capability mid-change must not lose the other figures
            out[key] = {"status": f"failed: {exc!r}", "trace": traceback.format_exc()[-2000:]}
    return out
