"""Typed words are never lost when the ticket changed in another tab: tab A gives the final
answer, tab B then sends «Отклонить» or «Приостановить» with a reason. The refusal is in
Russian, and since the page no longer offers that form (the ticket is answered), what was
typed is shown read-only to copy («Ваш текст не сохранён»). A form still on the page is filled
again instead (issue 25, checker's F7)."""

from __future__ import annotations

import re

from tests.api.test_console import make_user, page_token, sign_in
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
