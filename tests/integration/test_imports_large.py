"""A large export with bad rows scattered in it (issue 23, item 5): one import of 1 200 rows
in three batches imports every good row and reports every bad one with its real reason — a bad
row costs itself only, wherever it stands (row 704 of 1 200 once stopped an import)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_imports import importer, pos_file, pos_row, tickets, upload

__all__ = ["importer"]  # the fixture, shared with test_imports

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
FIRST_ROW = 4  # two title rows and the header come first
FUTURE = (NOW + timedelta(days=3)).strftime("%d.%m.%Y")

# Ten kinds of bad rows: (the change, the column the reason must name, words of the reason).
BAD_KINDS = [
    ({"Номер": "5" * 200}, "Номер", "digits only"),
    ({"Номер": "б/н"}, "Номер", "digits only"),
    ({"Номер": None}, "Номер", "required"),
    ({"Статус": "Назначен исполнитель, " + "пояснение " * 8}, "Статус", "longer than 64"),
    ({"Дата поступления": "01.01.1999"}, "Дата поступления", "before 01.01.2000"),
    ({"Дата поступления": FUTURE}, "Дата поступления", "in the future"),
    ({"Дата поступления": "31.02.2026"}, "Дата поступления", "not a dd.mm.yyyy date"),
    ({"Оценка ответа заявителем": 7}, "Оценка ответа заявителем", "expected 1–5"),
    ({"Категория": "Мусор " * 100}, "Категория", "longer than 160"),
    ({"Номер ЕПГУ": "4" * 100}, "Номер ЕПГУ", "longer than 64"),
]  # fmt: skip


async def test_a_1200_row_export_with_ten_kinds_of_bad_rows(client, db, importer, frozen):
    rows, bad = [], {}
    for index in range(1200):
        excel_row = FIRST_ROW + index
        # Scattered over all three batches of 500, row 704 among them (the row).
        if excel_row == 704 or index % 41 == 17:
            changes, column, words = BAD_KINDS[len(bad) % len(BAD_KINDS)]
            bad[excel_row] = (column, words)
            rows.append(pos_row(700_000_000 + index, **changes))
        else:
            rows.append(pos_row(700_000_000 + index))
    assert len(bad) >= 30 and {kind for kind, _ in bad.values()} >= {c for _, c, _ in BAD_KINDS}

    r = await upload(client, "feedback-platform", pos_file(rows), importer)
    assert r.status_code == 200, r.text
    report = r.json()
    good = [FIRST_ROW + i for i in range(1200) if FIRST_ROW + i not in bad]
    assert report["rows"] == 1200
    assert report["created"] == good
    assert {x["row"] for x in report["rejected"]} == set(bad)
    for rejected in report["rejected"]:
        column, words = bad[rejected["row"]]
        assert column in {e["field"] for e in rejected["errors"]}, rejected
        assert words in rejected["reason"], rejected
    stored = await tickets(db, "feedback_platform")
    assert len(stored) == len(good)
    assert "б/н" not in stored


@pytest.fixture
def frozen(app):
    app.state.clock = lambda: NOW
