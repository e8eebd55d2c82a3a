"""The operator console over HTTP: sign-in, CSRF, lockout, department isolation, actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from app.access.login_lockout import MAX_FAILURES
from app.access.users import create_user
from app.models.common import Role
from app.models.tickets import TicketAnswer, TicketEvent
from app.models.users import ConsoleUser
from tests.support.builders import make_ticket

PASSWORD = "correct horse battery"


async def make_user(db, login: str, role: Role = Role.operator, dept: str | None = "roads") -> None:
    async with db.sessionmaker() as session:
        await create_user(session, login=login, password=PASSWORD, role=role, department_code=dept)
        await session.commit()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, login: str, password: str = PASSWORD):
    page = await client.get("/console/login")
    assert page.status_code == 200
    return await client.post(
        "/console/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(page.text)},
    )


async def page_token(client: httpx.AsyncClient, path: str) -> str:
    r = await client.get(path)
    assert r.status_code == 200, r.text
    return csrf_of(r.text)


async def test_console_needs_sign_in(client):
    r = await client.get("/console")
    assert r.status_code == 303 and r.headers["location"] == "/console/login"


async def test_sign_in_sets_a_safe_cookie_and_shows_the_inbox(db, client):
    await make_user(db, "ivanova")
    own = await make_ticket(db, department_code="roads")
    other = await make_ticket(db, department_code="zhkh")
    r = await sign_in(client, "ivanova")
    assert r.status_code == 303 and r.headers["location"] == "/console"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
    inbox = await client.get("/console")
    assert inbox.status_code == 200
    assert own.number in inbox.text and other.number not in inbox.text
    assert "осталось" in inbox.text


async def test_secure_cookie_when_not_on_localhost(db, app):
    await make_user(db, "petrov")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://hub.example.ru") as c:
        r = await sign_in(c, "petrov")
        assert r.status_code == 303
        assert "secure" in r.headers["set-cookie"].lower()


async def test_wrong_password_then_lockout(db, client):
    await make_user(db, "sidorov")
    r = await sign_in(client, "sidorov", "wrong password!")
    assert r.status_code == 401 and "Неверный логин или пароль" in r.text
    for _ in range(MAX_FAILURES - 1):
        r = await sign_in(client, "sidorov", "wrong password!")
    assert r.status_code == 429
    # Locked: even the right password is refused now.
    r = await sign_in(client, "sidorov")
    assert r.status_code == 429 and "заблокирован" in r.text
    async with db.sessionmaker() as session:
        user = (await session.exec(select(ConsoleUser).where(ConsoleUser.login == "sidorov"))).one()
        assert user.locked_until is not None and user.locked_until > datetime.now(UTC)


async def test_lockout_ends_and_unknown_logins_are_refused_alike(db, app, client):
    await make_user(db, "kuznetsova")
    for _ in range(MAX_FAILURES):
        await sign_in(client, "kuznetsova", "nope nope nope")
    later = datetime.now(UTC) + timedelta(minutes=16)
    app.state.clock = lambda: later
    r = await sign_in(client, "kuznetsova")
    assert r.status_code == 303
    r = await sign_in(client, "nobody-here")
    assert r.status_code == 401 and "Неверный логин или пароль" in r.text


async def test_forms_without_the_csrf_token_are_refused(db, client):
    await make_user(db, "orlova")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "orlova")
    r = await client.post(
        f"/console/tickets/{ticket.id}/answer", data={"text": "Готово", "kind": "final"}
    )
    assert r.status_code == 403 and "Форма отклонена" in r.text
    r = await client.post(
        f"/console/tickets/{ticket.id}/answer",
        data={"text": "Готово", "kind": "final", "csrf_token": "forged"},
    )
    assert r.status_code == 403
    r = await client.post("/console/logout", data={})
    assert r.status_code == 403
    async with db.sessionmaker() as session:
        rows = await session.exec(select(TicketAnswer).where(TicketAnswer.ticket_id == ticket.id))
        assert rows.all() == []


async def test_sign_in_form_without_token_is_refused(db, client):
    await make_user(db, "belova")
    r = await client.post("/console/login", data={"login": "belova", "password": PASSWORD})
    assert r.status_code == 403


async def test_another_departments_ticket_is_not_found(db, client):
    await make_user(db, "smirnov")
    other = await make_ticket(db, department_code="zhkh")
    await sign_in(client, "smirnov")
    r = await client.get(f"/console/tickets/{other.id}")
    assert r.status_code == 404 and "не найдено" in r.text
    token = await page_token(client, "/console")
    r = await client.post(
        f"/console/tickets/{other.id}/answer",
        data={"text": "чужое", "kind": "final", "csrf_token": token},
    )
    assert r.status_code == 404


async def test_answer_is_recorded_and_attributed_to_the_person(db, client):
    await make_user(db, "popova")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "popova")
    page = await client.get(f"/console/tickets/{ticket.id}")
    assert page.status_code == 200 and ticket.text in page.text
    assert "Петрова Ольга Игоревна" in page.text  # the department's operator sees the applicant
    token = csrf_of(page.text)
    r = await client.post(
        f"/console/tickets/{ticket.id}/answer",
        data={"text": "Яму засыпали щебнем.", "kind": "final", "confirm": "1", "csrf_token": token},
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/console/tickets/{ticket.id}?done=answered"
    after = await client.get(r.headers["location"])
    assert "Ответ сохранён" in after.text and "Яму засыпали щебнем." in after.text
    assert "дан ответ" in after.text
    async with db.sessionmaker() as session:
        answers = (
            await session.exec(select(TicketAnswer).where(TicketAnswer.ticket_id == ticket.id))
        ).all()
        assert [(a.kind, a.text, a.author) for a in answers] == [
            ("final", "Яму засыпали щебнем.", "user:popova")
        ]
        actors = (
            await session.exec(
                select(TicketEvent.actor).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.type == "answer"
                )
            )
        ).all()
        assert actors == ["user:popova"]


async def test_take_hold_and_errors_come_back_as_messages(db, client):
    await make_user(db, "volkov")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "volkov")
    token = await page_token(client, f"/console/tickets/{ticket.id}")
    r = await client.post(f"/console/tickets/{ticket.id}/take", data={"csrf_token": token})
    assert r.headers["location"].endswith("done=taken")
    # Holding needs a reason: the page says so instead of failing.
    r = await client.post(
        f"/console/tickets/{ticket.id}/hold", data={"csrf_token": token, "reason": ""}
    )
    assert r.status_code == 422 and "Обращение не приостановлено. Укажите причину." in r.text
    r = await client.post(
        f"/console/tickets/{ticket.id}/hold",
        data={"csrf_token": token, "reason": "ждём подрядчика"},
    )
    assert r.headers["location"].endswith("done=held")
    page = await client.get(f"/console/tickets/{ticket.id}")
    # the timeline names the person (by login when the account has no display name)
    assert "приостановлено" in page.text and '<span class="actor">volkov</span>' in page.text
    assert "ждём подрядчика" in page.text


async def test_reject_with_addressee_and_return_as_not_ours(db, client):
    await make_user(db, "egorova")
    first = await make_ticket(db, department_code="roads")
    second = await make_ticket(db, department_code="roads")
    await sign_in(client, "egorova")
    token = await page_token(client, "/console")
    r = await client.post(
        f"/console/tickets/{first.id}/reject",
        data={"csrf_token": token, "reason": "не в компетенции", "redirect_to": "Роспотребнадзор"},
    )
    assert r.headers["location"].endswith("done=rejected")
    page = await client.get(f"/console/tickets/{first.id}")
    assert "Роспотребнадзор" in page.text
    r = await client.post(
        f"/console/tickets/{second.id}/return",
        data={"csrf_token": token, "reason": "это про трубы", "department": "zhkh"},
    )
    # Back to the inbox, which says where it went (issue 25: not «не найдено»).
    assert r.headers["location"] == "/console?done=passed&to=zhkh"
    # Now it is another department's: gone from this one.
    r = await client.get(f"/console/tickets/{second.id}")
    assert r.status_code == 404


async def test_deadline_text_is_plain_russian_and_red_when_breached(db, app, client):
    await make_user(db, "frolova")
    ticket = await make_ticket(db, department_code="roads")
    assert ticket.resolution_due_at is not None
    late = ticket.resolution_due_at + timedelta(hours=3, minutes=5)
    app.state.clock = lambda: late  # before signing in: the session's clock is the app's
    await sign_in(client, "frolova")
    inbox = await client.get("/console", params={"overdue": "1"})
    assert ticket.number in inbox.text
    assert "due-breached" in inbox.text and "просрочено на 3 ч 5 мин" in inbox.text


async def test_admin_sees_applicant_masked(db, client):
    await make_user(db, "admin1", Role.admin, None)
    ticket = await make_ticket(db, department_code="zhkh")
    await sign_in(client, "admin1")
    page = await client.get(f"/console/tickets/{ticket.id}")
    assert page.status_code == 200
    assert "Петрова Ольга Игоревна" not in page.text and "скрыты" in page.text


async def test_triage_routes_in_one_click_and_is_for_the_press_service(db, client):
    await make_user(db, "press1", Role.operator, "press")
    await make_user(db, "roads1", Role.operator, "roads")
    ticket = await make_ticket(db, department_code="press", text="Яма на дороге у школы")
    await sign_in(client, "press1")
    page = await client.get("/console/triage")
    assert page.status_code == 200 and ticket.number in page.text
    r = await client.post(
        f"/console/tickets/{ticket.id}/route",
        data={"csrf_token": csrf_of(page.text), "department": "roads", "from": "triage"},
    )
    assert r.headers["location"] == "/console/triage?done=routed"
    page = await client.get("/console/triage")
    assert ticket.number not in page.text
    client.cookies.clear()
    await sign_in(client, "roads1")
    refused = await client.get("/console/triage")
    assert refused.status_code == 403 and "Разбор доступен отделу «" in refused.text
    assert (await client.get(f"/console/tickets/{ticket.id}")).status_code == 200


async def test_sign_out_ends_the_session(db, client):
    await make_user(db, "zaitsev")
    await sign_in(client, "zaitsev")
    token = await page_token(client, "/console")
    r = await client.post("/console/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    assert (await client.get("/console")).status_code == 303


async def test_tampered_cookie_is_not_a_session(db, client):
    await make_user(db, "lebedev")
    await sign_in(client, "lebedev")
    value = client.cookies.get("appeals_console")
    client.cookies.clear()
    client.cookies.set("appeals_console", value[:-2] + "xx", path="/console")
    assert (await client.get("/console")).status_code == 303


async def test_amber_when_at_risk(db, app, client):
    await make_user(db, "gromova")
    ticket = await make_ticket(db, department_code="roads")
    assert ticket.resolution_risk_at is not None and ticket.resolution_due_at is not None
    app.state.clock = lambda: ticket.resolution_risk_at + timedelta(minutes=1)
    await sign_in(client, "gromova")
    inbox = await client.get("/console")
    assert "due-risk" in inbox.text and "осталось" in inbox.text


async def test_a_suggested_duplicate_is_merged_in_one_click(db, client):
    from app.models.routing import DuplicateSuggestion

    await make_user(db, "titova")
    main = await make_ticket(db, department_code="roads")
    dup = await make_ticket(db, department_code="roads")
    async with db.sessionmaker() as session:
        session.add(DuplicateSuggestion(ticket_id=dup.id, candidate_id=main.id, score=0.5))
        await session.commit()
    await sign_in(client, "titova")
    page = await client.get(f"/console/tickets/{dup.id}")
    assert f"Это дубликат {main.number}" in page.text
    r = await client.post(
        f"/console/tickets/{dup.id}/merge", data={"csrf_token": csrf_of(page.text), "into": main.id}
    )
    assert r.status_code == 422 and "отметьте «Я подтверждаю, что это дубликат»" in r.text
    r = await client.post(
        f"/console/tickets/{dup.id}/merge",
        data={"csrf_token": csrf_of(page.text), "into": main.id, "confirm": "1"},
    )
    assert r.headers["location"].endswith("done=merged")
    page = await client.get(f"/console/tickets/{dup.id}")
    assert "объединено" in page.text and main.number in page.text


async def test_triage_lists_duplicates_awaiting_confirmation(db, client):
    from app.models.routing import DuplicateSuggestion

    await make_user(db, "press2", Role.operator, "press")
    main = await make_ticket(db, department_code="press")
    dup = await make_ticket(db, department_code="press")
    async with db.sessionmaker() as session:
        session.add(DuplicateSuggestion(ticket_id=dup.id, candidate_id=main.id, score=0.5))
        await session.commit()
    await sign_in(client, "press2")
    page = await client.get("/console/triage")
    assert f"Объединить: {dup.number} — дубликат {main.number}" in page.text
    r = await client.post(
        f"/console/tickets/{dup.id}/merge",
        data={"csrf_token": csrf_of(page.text), "into": main.id, "from": "triage"},
    )
    assert r.headers["location"] == "/console/triage?error=unconfirmed"
    r = await client.post(
        f"/console/tickets/{dup.id}/merge",
        data={"csrf_token": csrf_of(page.text), "into": main.id, "from": "triage", "confirm": "1"},
    )
    assert r.headers["location"] == "/console/triage?done=merged"
    page = await client.get("/console/triage")
    assert "Объединить:" not in page.text


async def test_blank_or_file_fields_count_as_absent_and_come_back_as_messages(db, client):
    await make_user(db, "sokolova")
    ticket = await make_ticket(db, department_code="roads")
    await sign_in(client, "sokolova")
    token = await page_token(client, f"/console/tickets/{ticket.id}")
    page = f"/console/tickets/{ticket.id}"
    # Whitespace is no answer, and a file where the answer belongs is none either.
    answer = {"csrf_token": token, "text": "   ", "kind": "interim"}
    r = await client.post(f"{page}/answer", data=answer)
    assert r.status_code == 422 and "Проверьте поля формы: текст ответа." in r.text
    r = await client.post(
        f"{page}/hold",
        data={"csrf_token": token},
        files={"reason": ("reason.txt", b"not a reason", "text/plain")},
    )
    assert r.status_code == 422 and "Укажите причину" in r.text
    # A number that is not one: the page says so.
    r = await client.post(
        f"{page}/merge", data={"csrf_token": token, "into": "abc", "confirm": "1"}
    )
    assert r.status_code == 422 and "Номер основного обращения указан неверно." in r.text
    # Trimmed text; the kind is a choice (none is assumed) and a final answer is confirmed.
    r = await client.post(f"{page}/answer", data={"csrf_token": token, "text": "  Сделано.  "})
    assert r.status_code == 422 and "Выберите вид ответа" in r.text
    final = {"csrf_token": token, "text": "  Сделано.  ", "kind": "final", "confirm": "1"}
    r = await client.post(f"{page}/answer", data=final)
    assert r.headers["location"] == f"{page}?done=answered"
    async with db.sessionmaker() as session:
        answers = (
            await session.exec(select(TicketAnswer).where(TicketAnswer.ticket_id == ticket.id))
        ).all()
        assert [(a.kind, a.text) for a in answers] == [("final", "Сделано.")]


async def test_signed_out_form_goes_to_sign_in_before_its_token_is_checked(db, client):
    ticket = await make_ticket(db, department_code="roads")
    r = await client.post(f"/console/tickets/{ticket.id}/take", data={"csrf_token": "x"})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
