"""Typed words are never lost when the ticket changed in another tab: tab A gives the final
answer, tab B then sends «Отклонить» or «Приостановить» with a reason. The refusal is in
Russian, and since the page no longer offers that form (the ticket is answered), what was
typed is shown read-only to copy («Ваш текст не сохранён»). A form still on the page is filled
again instead (issue 25, checker's F7)."""

from __future__ import annotations

import re

from tests.api.test_console import PASSWORD, csrf_of, make_user, page_token, sign_in
from tests.api.test_console_messages import alerts
from tests.support.builders import make_ticket

LOST = re.compile(r'<section class="card lost".*?</section>', re.S)


async def test_a_reason_typed_for_a_form_that_is_gone_is_shown_to_copy(db, client) -> None:
    await make_user(db, "dve-vkladki")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "dve-vkladki")
    page = f"/console/tickets/{ticket.id}"
    token = await page_token(client, page)  # both tabs opened the page while it was open
    # Tab A: the final answer.
    answer = {"csrf_token": token, "text": "Яма заделана.", "kind": "final", "confirm": "1"}
    assert (await client.post(f"{page}/answer", data=answer)).status_code == 303
    # Tab B: a rejection typed before it saw the answer.
    reason = "Дорога <федеральная>, не наша"
    reject = {"csrf_token": token, "reason": reason, "redirect_to": "Упрдор «Амур»"}
    r = await client.post(f"{page}/reject", data=reject)
    assert r.status_code == 422
    [alert] = alerts(r.text)
    assert alert.startswith("Обращение не отклонено. Нельзя перевести обращение из статуса «дан")
    assert f'action="/console/tickets/{ticket.id}/reject"' not in r.text  # the form is gone
    [lost] = LOST.findall(r.text)
    assert '<h2 id="h-lost">Ваш текст не сохранён</h2>' in lost
    assert "Формы «Отклонить» на странице больше нет" in lost
    assert "readonly>Дорога &lt;федеральная&gt;, не наша</textarea>" in lost  # escaped
    assert "readonly>Упрдор «Амур»</textarea>" in lost
    # The same for «Приостановить».
    r = await client.post(f"{page}/hold", data={"csrf_token": token, "reason": "ждём подрядчика"})
    assert r.status_code == 422
    [lost] = LOST.findall(r.text)
    assert "Формы «Приостановить» на странице больше нет" in lost
    assert "readonly>ждём подрядчика</textarea>" in lost


async def test_a_form_still_on_the_page_is_filled_again_without_the_copy_block(db, client):
    await make_user(db, "odna-vkladka")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "odna-vkladka")
    page = f"/console/tickets/{ticket.id}"
    token = await page_token(client, page)
    # A final answer without its confirmation is refused; the answer form is still there.
    answer = {"csrf_token": token, "text": "Яма будет заделана к пятнице.", "kind": "final"}
    r = await client.post(f"{page}/answer", data=answer)
    assert r.status_code == 422
    assert "Яма будет заделана к пятнице.</textarea>" in r.text
    assert not LOST.findall(r.text) and "Ваш текст не сохранён" not in r.text


async def test_a_comment_on_a_ticket_returned_in_another_tab_comes_back_to_copy(db, client):
    """Tab A returns the ticket to another department; tab B's comment then finds no ticket:
    the «not found» page shows the comment to copy."""
    await make_user(db, "vozvrat")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "vozvrat")
    page = f"/console/tickets/{ticket.id}"
    token = await page_token(client, page)
    back = {"csrf_token": token, "reason": "Это вопрос ЖКХ", "department": "zhkh"}
    assert (await client.post(f"{page}/return", data=back)).status_code == 303
    comment = {"csrf_token": token, "text": "Подрядчик обещал <в среду>"}
    r = await client.post(f"{page}/comment", data=comment)
    assert r.status_code == 404
    assert "<h1>Обращение не найдено</h1>" in r.text
    [lost] = LOST.findall(r.text)
    assert "Ваш текст не сохранён" in lost
    assert "readonly>Подрядчик обещал &lt;в среду&gt;</textarea>" in lost


async def test_a_form_refused_after_signing_in_again_shows_what_was_typed(db, client):
    """Signing in again in another tab replaces the session (and its CSRF token): the old
    tab's form is refused (403) but its words come back to copy."""
    await make_user(db, "dva-vhoda")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "dva-vhoda")
    page = f"/console/tickets/{ticket.id}"
    token = await page_token(client, page)
    await sign_in(client, "dva-vhoda")  # the other tab
    r = await client.post(f"{page}/hold", data={"csrf_token": token, "reason": "ждём смету"})
    assert r.status_code == 403 and "<h1>Форма отклонена</h1>" in r.text
    [lost] = LOST.findall(r.text)
    assert "readonly>ждём смету</textarea>" in lost


async def test_words_typed_after_the_session_ended_are_carried_through_sign_in(db, client):
    await make_user(db, "vyshla")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "vyshla")
    page = f"/console/tickets/{ticket.id}"
    token = await page_token(client, page)
    # Another tab signs out; this one still has its page open and sends a reason.
    assert (await client.post("/console/logout", data={"csrf_token": token})).status_code == 303
    r = await client.post(f"{page}/reject", data={"csrf_token": token, "reason": "Не наша дорога"})
    assert r.status_code == 303
    where = r.headers["location"]
    assert where.startswith("/console/login?kept=")
    kept = where.split("kept=", 1)[1]
    assert "Не наша" not in where  # the words stay on the server
    login = await client.get(where)
    # Before signing in the page only says the words were kept: whoever opens it has not
    # proved who he is, and the words may hold a citizen's personal data.
    assert "Сеанс завершился до отправки формы «Отклонить»" in login.text
    assert "Не наша дорога" not in login.text and not LOST.findall(login.text)
    assert f'name="kept" value="{kept}"' in login.text
    # Signing in leads back to the ticket, which shows the words once.
    data = {"login": "vyshla", "password": PASSWORD, "csrf_token": csrf_of(login.text)}
    signed = await client.post("/console/login", data={**data, "kept": kept})
    assert signed.status_code == 303 and signed.headers["location"] == f"{page}?kept={kept}"
    shown = await client.get(signed.headers["location"])
    [lost] = LOST.findall(shown.text)
    assert "readonly>Не наша дорога</textarea>" in lost
    assert f'action="{page}/reject"' in shown.text  # the form is there to send again
    again = await client.get(signed.headers["location"])
    assert not LOST.findall(again.text)  # one time only
    assert "Сеанс завершился" not in (await client.get(where)).text
    # A made-up token shows nothing and signs in as usual.
    assert not LOST.findall((await client.get("/console/login?kept=abc")).text)


async def test_a_refused_return_keeps_the_chosen_department(db, client):
    await make_user(db, "bez-prichiny")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "bez-prichiny")
    page = f"/console/tickets/{ticket.id}"
    token = await page_token(client, page)
    r = await client.post(f"{page}/return", data={"csrf_token": token, "department": "zhkh"})
    assert r.status_code == 422
    assert '<option value="zhkh" selected>' in r.text
