"""A corrupt .xlsx (issue 23, outside tester's F1): XML the parser refuses, in a sheet or in the
shared strings, is a 422 naming the cause and the place — never a 500 — and nothing of the file
is imported. Once, row 704 of 1 200 holding `&#0;` gave a 500 after rows 4–503 were committed.

The bad files are an openpyxl-made workbook with one cell's bytes edited inside the zip (and
the same workbook rewritten the way Excel saves it, texts in xl/sharedStrings.xml)."""

from __future__ import annotations

import functools
import io
import zipfile

import pytest

from tests.api.test_imports import importer, pos_file, pos_row, tickets, upload
from tests.support.webhooks import PROBLEM
from tests.support.xlsx import edit_parts, with_shared_strings

__all__ = ["importer"]  # the fixture, shared with test_imports

MARK = "ЯЧЕЙКА-МЕТКА"
BAD_ROW = 704  # two title rows and the header first: data row 701 of 1 200
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"

# (bytes put inside the marked cell's text, the words the 422 must say)
BAD_BYTES = {
    "nul reference": (b"&#0;", "bad encoding", "a character reference XML forbids (&#0;)"),
    "control reference": (b"&#1;", "bad encoding", "(&#1;)"),
    "surrogate reference": (b"&#xD800;", "bad encoding", "(&#xD800;)"),
    "raw 0x0B": (b"\x0b", "bad encoding", "a control character XML forbids (0x0B)"),
    "invalid UTF-8": (b"\xff\xfe", "bad encoding", "bytes that are not UTF-8"),
    "encoded surrogate": (b"\xed\xa0\x80", "bad encoding", "bytes that are not UTF-8"),
    "U+FFFF": ("\uffff".encode(), "bad encoding", "a character XML forbids (U+FFFF)"),
    "broken markup": (b"<b", "the file is corrupt", "broken XML (not well-formed"),
    "undefined entity": (b"&nbsp;", "the file is corrupt", "broken XML (undefined entity)"),
}


@functools.cache
def export_1200(*, shared: bool) -> bytes:
    """1 200 good rows; row 704's «Категория» holds the mark to be replaced."""
    rows = [
        pos_row(710_000_000 + i, **({"Категория": MARK} if 4 + i == BAD_ROW else {}))
        for i in range(1200)
    ]
    content = pos_file(rows)
    return with_shared_strings(content) if shared else content


def corrupted(content: bytes, part: str, bad: bytes) -> bytes:
    mark = MARK.encode()

    def edit(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        assert data.count(mark) == 1
        return data.replace(mark, b"\xd0\x9c" + bad + b"\xd1\x83")  # «М…у»: bad mid-text

    return edit_parts(content, edit)


async def assert_refused_whole(client, db, importer, content, *words):  # type: ignore[no-untyped-def]
    r = await upload(client, "feedback-platform", content, importer)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    for word in words:
        assert word in problem["detail"], problem
    assert "nothing was imported" in problem["detail"]
    assert await tickets(db, "feedback_platform") == {}
    return problem


@pytest.mark.parametrize("kind", list(BAD_BYTES))
async def test_a_bad_cell_in_a_sheet_is_refused_naming_row_and_cell(client, db, importer, kind):
    bad, prefix, cause = BAD_BYTES[kind]
    content = corrupted(export_1200(shared=False), SHEET, bad)
    problem = await assert_refused_whole(
        client, db, importer, content, prefix, cause, "sheet «Лист1»", f"row {BAD_ROW}"
    )
    # «Категория» is column T of the reversed sample header.
    assert f"cell T{BAD_ROW}" in problem["detail"]
    assert problem["cause"] == ("encoding" if prefix == "bad encoding" else "corrupt")


@pytest.mark.parametrize("kind", list(BAD_BYTES))
async def test_a_bad_shared_string_is_refused(client, db, importer, kind):
    bad, prefix, cause = BAD_BYTES[kind]
    content = corrupted(export_1200(shared=True), STRINGS, bad)
    await assert_refused_whole(client, db, importer, content, prefix, cause, "shared strings")


async def test_the_same_workbook_unharmed_imports(client, db, importer):
    """The control: the files above differ from a good one by the edited cell only."""
    rows = [pos_row(720_000_000 + i, Категория=MARK if i == 3 else "Мусор") for i in range(30)]
    for content in (pos_file(rows), with_shared_strings(pos_file(rows))):
        r = await upload(client, "feedback-platform", content, importer)
        assert r.status_code == 200, r.text
    assert len(await tickets(db, "feedback_platform")) == 30


async def test_a_declared_dtd_is_refused_unread(client, db, importer):
    dtd = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'

    def edit(name: str, data: bytes) -> bytes:
        return dtd + data if name == SHEET else data

    content = edit_parts(pos_file([pos_row(1)]), edit)
    await assert_refused_whole(client, db, importer, content, "declares a DTD")


async def test_a_damaged_zip_member_is_refused(client, db, importer):
    content = bytearray(export_1200(shared=False))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        info = archive.getinfo(SHEET)
    # The member's data starts after its local header (30 bytes, the name, the extra field).
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    content[middle : middle + 16] = bytes(16)
    await assert_refused_whole(client, db, importer, bytes(content), "cannot be unpacked")


async def test_a_well_formed_cell_that_cannot_be_read_is_a_422_naming_its_row(client, db, importer):
    """The backstop: well-formed XML with a wrong value (a number cell holding letters) is only
    found when openpyxl reads that row — in the import's first pass over the rows (each item's
    last row), so the file is a 422 naming the row and nothing is stored."""
    number = b'<c r="X%d" t="n"><v>' % BAD_ROW

    def edit(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        at = data.index(number) + len(number)
        return data[:at] + b"NaN-ish" + data[data.index(b"</v>", at) :]

    content = edit_parts(export_1200(shared=False), edit)
    r = await upload(client, "feedback-platform", content, importer)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["row"] == BAD_ROW and problem["cause"] == "corrupt"
    assert f"a cell of row {BAD_ROW} cannot be read" in problem["detail"]
    assert "nothing was imported" in problem["detail"]
    assert len(await tickets(db, "feedback_platform")) == 0
