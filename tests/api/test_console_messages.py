"""The console's alerts are fixed texts chosen by a code: a crafted link cannot put words on a
page (`?error=Ваш пароль украден` shows nothing); a failed form comes back filled in, with
its reason in Russian."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.console.labels import DONE, ERROR
from app.models.common import Role
from tests.api.test_console import make_user, page_token, sign_in
from tests.support.builders import make_ticket

FAKE = "Ваш пароль украден, позвоните +7 924 000-00-00"
SHORT_FAKE = "Аккаунт взломан"  # short enough for the parameter: 200, and still not shown


def alerts(html: str) -> list[str]:
    return [
        part.split(">", 1)[1].split("</p>", 1)[0] for part in html.split('<p class="alert ')[1:]
    ]


@pytest.fixture
async def pages(db, client):
    await make_user(db, "admin-msg", Role.admin, None)
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "admin-msg")
    return [f"/console/tickets/{ticket.id}", "/console/triage"]


async def test_free_text_in_the_link_is_never_shown(client, pages):
    for page in pages:
        for params in (
            {"error": FAKE},
            {"error": SHORT_FAKE},
            {"done": SHORT_FAKE},
            {"done": FAKE},
            {"error": "form", "field": FAKE},
            {"error": "<b>x</b>"},
        ):
            r = await client.get(page, params=params)
            assert r.status_code in (200, 422), r.text
            assert FAKE not in r.text and SHORT_FAKE not in r.text and "<b>x</b>" not in r.text
            if r.status_code == 200:
                assert alerts(r.text) in ([], [ERROR["form"]])


async def test_a_code_shows_its_fixed_text_and_known_fields_only(client, pages):
    for page in pages:
        r = await client.get(page, params={"error": "conflict"})
        assert alerts(r.text) == [ERROR["conflict"]]
        r = await client.get(page, params={"error": "form", "field": "into,evil,reason"})
        assert alerts(r.text) == ["Проверьте поля формы: номер основного обращения, причина."]
        r = await client.get(page, params={"done": "merged"})
        assert alerts(r.text) == [DONE["merged"]]


async def test_a_failed_form_comes_back_filled_in_with_its_reason_in_russian(db, client):
    await make_user(db, "msg-op")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "msg-op")
    page = f"/console/tickets/{ticket.id}"
    token = await page_token(client, page)
    r = await client.post(f"{page}/merge", data={"csrf_token": token, "number": "SD-1-x"})
    assert r.status_code == 422 and urlsplit(str(r.url)).query == ""
    [alert] = alerts(r.text)
    assert alert.startswith("Обращения не объединены. Объединение не отменить")
    assert 'value="SD-1-x"' in r.text  # the number typed is still in its field
    merge = {"csrf_token": token, "number": "SD-1-x", "confirm": "1"}
    r = await client.post(f"{page}/merge", data=merge)
    assert alerts(r.text) == [
        "Обращения не объединены. Обращение SD-1-X не найдено среди доступных вам."
    ]
    # A transition the status no longer allows: rejecting a rejected ticket.
    reject = {"csrf_token": token, "reason": "не в компетенции", "redirect_to": "Прокуратура"}
    assert (await client.post(f"{page}/reject", data=reject)).status_code == 303
    r = await client.post(f"{page}/reject", data=reject)
    assert r.status_code == 422
    [alert] = alerts(r.text)
    assert alert.startswith(
        "Обращение не отклонено. Нельзя перевести обращение из статуса «отклонено» в «отклонено»"
    ), alert
    assert "cannot move" not in r.text and "allowed" not in r.text
