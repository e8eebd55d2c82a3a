"""Figures measured in-process: the SLA sweep and the Excel import, each with its baseline.

- SLA sweep: every seeded ticket is made open with its at-risk/breach thresholds already
  passed (the worst case: a sweeper catching up after downtime over all N open tickets), then
  ``app.services.sla_sweeper.sweep`` runs to completion; a second sweep with nothing due
  shows the steady-state cost. Baseline: one ``UPDATE`` touching the same rows' check column
  (the least set-based work a sweep over N tickets can do).
- Excel import: a ПОС back-office export (ЛК ОА columns, DOMAIN.md) of M rows through
  ``app.services.imports.import_workbook``; baseline: openpyxl reading the same file.
"""

from __future__ import annotations

import io
import random
import time
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

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


async def excel_import(ctx: Any, rows: int) -> dict[str, Any]:
    from app.config import get_settings
    from app.db import Database
    from app.services.imports import export_format, import_workbook, open_rows

    data = pos_export(rows, start=700_000_000)
    t0 = time.perf_counter()
    parsed = sum(1 for _ in open_rows(io.BytesIO(data), export_format("feedback_platform")))
    baseline_s = time.perf_counter() - t0
    settings = get_settings()
    db = Database(pg.app_url(ctx.name), settings)
    try:
        async with db.sessionmaker() as session:
            t0 = time.perf_counter()
            report = await import_workbook(
                session,
                io.BytesIO(data),
                source="feedback_platform",
                tz=settings.tz,
                now=datetime.now(UTC),
                batch_rows=settings.import_batch_rows,
            )
            await session.commit()
            seconds = time.perf_counter() - t0
    finally:
        await db.dispose()
    return {
        "rows": rows,
        "created": len(report.created),
        "rejected": len(report.rejected),
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds, 1),
        "baseline_rows_per_s": round(parsed / baseline_s, 1),
        "table": [
            {
                "figure": f"Excel import rows/s (ПОС export, {rows} rows)",
                "value": round(rows / seconds, 1),
                "baseline": round(parsed / baseline_s, 1),
                "ratio": round((rows / seconds) / (parsed / baseline_s), 3),
                "target": "≥ 2000 rows/s",
            },
        ],
    }


OPEN_ALL = """
UPDATE tickets SET
    status = CASE WHEN status IN ('new','routed','in_progress') THEN status ELSE 'in_progress' END,
    closed_at = NULL, answered_at = NULL, first_responded_at = NULL, on_hold_since = NULL,
    first_response_risk_at = created_at + (first_response_due_at - created_at) * 0.75,
    resolution_risk_at = created_at + (resolution_due_at - created_at) * 0.75,
    sla_next_check_at = LEAST(created_at + (first_response_due_at - created_at) * 0.75,
                              created_at + (resolution_due_at - created_at) * 0.75)
"""


async def sla_sweep(ctx: Any) -> dict[str, Any]:
    from app.config import get_settings
    from app.db import Database
    from app.services.sla_sweeper import sweep

    conn = await asyncpg.connect(pg.dsn(ctx.name))
    try:
        t0 = time.perf_counter()
        await conn.execute(OPEN_ALL)
        prep_s = time.perf_counter() - t0
        await conn.execute("VACUUM ANALYZE tickets")
        open_n = await conn.fetchval(
            "SELECT count(*) FROM tickets WHERE status IN ('new','routed','in_progress','on_hold')"
        )
        due_n = await conn.fetchval("SELECT count(*) FROM tickets WHERE sla_next_check_at <= now()")
    finally:
        await conn.close()
    db = Database(pg.app_url(ctx.name), get_settings())
    try:
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        result = await sweep(db, now)
        catch_up = time.perf_counter() - t0
        t0 = time.perf_counter()
        idle = await sweep(db, now + timedelta(seconds=60))
        steady = time.perf_counter() - t0
    finally:
        await db.dispose()
    return {
        "open_tickets": open_n,
        "due_tickets": due_n,
        "prepare_update_s": round(prep_s, 1),
        "catch_up_s": round(catch_up, 2),
        "picked": result.picked,
        "marks": dict(result.marks),
        "steady_s": round(steady, 4),
        "steady_picked": idle.picked,
        "table": [
            {
                "figure": f"SLA sweep catch-up s ({open_n} open, {due_n} due)",
                "value": round(catch_up, 2),
                "baseline": round(prep_s, 2),
                "ratio": round(catch_up / prep_s, 2) if prep_s else "-",
                "target": "≤ 2 s (baseline: one UPDATE of all rows)",
            },
            {
                "figure": f"SLA sweep steady state s ({open_n} open, 1 min later)",
                "value": round(steady, 4),
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
        ("sla_sweep", lambda: sla_sweep(ctx)),
    ):
        try:
            out[key] = await job()
        except Exception as exc:  # a capability mid-change must not lose the other figures
            out[key] = {"status": f"failed: {exc!r}", "trace": traceback.format_exc()[-2000:]}
    return out
