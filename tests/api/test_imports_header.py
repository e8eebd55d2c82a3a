"""What an export's header must hold and what a row may leave blank (issue 23, outside tester's
F6 and F7): a column the rows are read by may appear once only — two «Номер» columns used to
let the last win silently —, and an IM post may carry a theme group without a theme."""

from __future__ import annotations

import io

from openpyxl import Workbook

from tests.api.test_imports import IM_COLUMNS, im_file, im_row, importer, pos_row, tickets, upload
from tests.support.webhooks import PROBLEM
from tests.support.xlsx import header

__all__ = ["importer"]  # the fixture, shared with test_imports


def sheet_bytes(title: str, columns: list[str], rows: list[list[object]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_two_number_columns_are_refused_naming_the_column(client, db, importer):
    columns = [*header("pos"), "Номер"]  # «Номер» is column A and, again, column Y
    good = pos_row(563007235)
    row = [good.get(c) for c in header("pos")] + [563009999]
    r = await upload(client, "feedback-platform", sheet_bytes("Лист1", columns, [row]), importer)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["column"] == "Номер"
    assert "the header has the column «Номер» 2 times (columns A, Y)" in problem["detail"]
    assert await tickets(db, "feedback_platform") == {}


async def test_an_im_column_read_twice_is_refused_too(client, db, importer):
    columns = [*IM_COLUMNS, "Тема"]
    row = im_row("https://vk.com/wall-1_1")
    values = [row.get(c) for c in IM_COLUMNS] + ["Другая тема"]
    content = sheet_bytes("Детализация", columns, [values])
    r = await upload(client, "incident-management", content, importer)
    assert r.status_code == 422, r.text
    assert r.json()["column"] == "Тема" and "«Тема» 2 times" in r.json()["detail"]
    assert await tickets(db, "incident_management") == {}


async def test_a_repeated_column_nobody_reads_is_no_matter(client, db, importer):
    """ФИО columns are not stored: the same title twice there is not ambiguous for us."""
    columns = [*header("pos"), "ФИО исполнителя"]
    good = pos_row(563007236)
    row = [good.get(c) for c in header("pos")] + ["Петров П. П."]
    r = await upload(client, "feedback-platform", sheet_bytes("Лист1", columns, [row]), importer)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == [2]


async def test_an_im_post_with_a_theme_group_only_is_imported(client, db, importer):
    """IM themes a post by group first; «Тема» may stay blank (the webhook's `theme` is
    optional too). The column must be there; its cell may be empty."""
    rows = [
        im_row("https://vk.com/wall-1_10", Тема=None),
        im_row("https://vk.com/wall-1_11", Тема="-"),  # the exports' «-» is blank
        im_row("https://vk.com/wall-1_12", Тема=None, **{"Группа тем": None}),
    ]
    r = await upload(client, "incident-management", im_file(rows), importer)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["rejected"]) == ([2, 3, 4], [])
    stored = await tickets(db, "incident_management")
    group_only = stored["vk.com/wall-1_10"]
    assert (group_only.source_category, group_only.category_code) == ("ЖКХ", "housing")
    assert group_only.text == "ЖКХ: https://vk.com/wall-1_10"
    assert stored["vk.com/wall-1_11"].source_category == "ЖКХ"
    unthemed = stored["vk.com/wall-1_12"]
    assert unthemed.source_category is None
    assert unthemed.text == "Пост без темы: https://vk.com/wall-1_12"


async def test_an_im_export_without_the_theme_column_is_not_one(client, importer):
    columns = [c for c in IM_COLUMNS if c != "Тема"]
    row = im_row("https://vk.com/wall-1_20")
    content = sheet_bytes("Детализация", columns, [[row.get(c) for c in columns]])
    r = await upload(client, "incident-management", content, importer)
    assert r.status_code == 422
    assert r.json()["detail"] == "the export lacks columns: Тема"
