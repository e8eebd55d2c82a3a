"""A ticket a department returned («Вернуть: не наше», «не знаю — на разбор») is never offered
back to that department by triage: the department routing would pick is not preselected, the
row says who returned it and why, and the department is marked in the list. Triage rows show
every running deadline with its name, as the inbox does (issue 25, checker's F5)."""

from __future__ import annotations

import re

from app.models.common import Role
from tests.api.test_console import csrf_of, make_user, sign_in
from tests.api.test_console_safety import form
from tests.support.builders import make_ticket


def row_of(html: str, number: str) -> str:
    head = (
        rf'<li class="ticket-row">\s*<div class="row-head"><a class="num" href="[^"]+">{number}</a>'
    )
    match = re.search(rf"{head}.*?</form>\s*</li>", html, re.S)
    assert match, number
    return match.group(0)


async def test_a_returned_ticket_is_not_preselected_for_the_department_that_returned_it(
    db, client
) -> None:
    await make_user(db, "zhkh-vozvrat", dept="zhkh")
    await make_user(db, "razbor-vozvrat", Role.operator, dept="press")
    # Heating belongs to the housing department by its category: routing is sure of it.
    returned = await make_ticket(db, department_code="zhkh", category_code="heating",
                                 text="Холодные батареи в квартире, второй день")  # fmt: skip
    fresh = await make_ticket(db, department_code="press", category_code="heating",
                              text="В подъезде батареи еле тёплые")  # fmt: skip

    await sign_in(client, "zhkh-vozvrat")
    page = f"/console/tickets/{returned.id}"
    token = csrf_of((await client.get(page)).text)
    back = {"csrf_token": token, "reason": "не наше", "department": ""}
    assert (await client.post(f"{page}/return", data=back)).status_code == 303

    client.cookies.clear()
    await sign_in(client, "razbor-vozvrat")
    html = (await client.get("/console/triage")).text
    row, route = row_of(html, returned.number), form(html, f"{returned.id}/route")
    # The department that returned it is never preselected, however sure routing is.
    assert '<option value="" selected>— выберите отдел —</option>' in route
    assert " selected" not in route.replace('<option value="" selected>', "")
    assert "выбран по подсказке" not in route
    assert "подсказка не выбрана заранее: Отдел ЖКХ вернул обращение — «не наше»" in route
    assert "Возвращено: Отдел ЖКХ вернул обращение — «не наше»" in row
    assert '<option value="zhkh">Отдел ЖКХ (вернул обращение)</option>' in route
    # A ticket nobody returned keeps the sure preselection, with nothing marked.
    other = form(html, f"{fresh.id}/route")
    assert '<option value="zhkh" selected>Отдел ЖКХ</option>' in other
    assert "вернул обращение" not in row_of(html, fresh.number)
    # Deadlines are named, as in the inbox: not one unlabelled «осталось …».
    for number in (returned.number, fresh.number):
        head = row_of(html, number).split("</div>", 1)[0]
        assert re.search(r">решение: осталось \d", head), head
