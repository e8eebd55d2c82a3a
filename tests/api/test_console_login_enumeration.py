"""Sign-in answers never tell which logins exist: an unknown (or disabled) login is counted and
locked exactly like a real one, and every answer costs the same one password-hash check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.access import users
from app.access.login_lockout import MAX_FAILURES, UnknownLogins
from app.access.users import set_disabled
from tests.api.test_console import make_user, sign_in

WRONG = "wrong password!"


async def answers(client, login: str, tries: int) -> list[tuple[int, str]]:
    seen = []
    for _ in range(tries):
        r = await sign_in(client, login, WRONG)
        message = "заблокирован" if "заблокирован" in r.text else "неверный"
        assert message == "заблокирован" or "Неверный логин или пароль" in r.text
        seen.append((r.status_code, message))
    return seen


async def test_unknown_and_disabled_logins_get_the_same_answers_as_a_real_one(db, client):
    await make_user(db, "sorokin")
    await make_user(db, "retired")
    async with db.sessionmaker() as session:
        await set_disabled(session, login="retired", disabled=True, now=datetime.now(UTC))
        await session.commit()
    expected = [(401, "неверный")] * (MAX_FAILURES - 1) + [(429, "заблокирован")] * 2
    assert await answers(client, "sorokin", MAX_FAILURES + 1) == expected
    assert await answers(client, "nobody-at-all", MAX_FAILURES + 1) == expected
    assert await answers(client, "retired", MAX_FAILURES + 1) == expected
    # Counted per login name: another unknown name starts from scratch.
    assert await answers(client, "nobody-else", 1) == [(401, "неверный")]


async def test_an_unknown_login_is_unlocked_when_a_real_one_would_be(db, app, client):
    await make_user(db, "kuzmin")
    for login in ("kuzmin", "ghost"):
        await answers(client, login, MAX_FAILURES)
    later = datetime.now(UTC) + timedelta(minutes=16)
    app.state.clock = lambda: later
    assert (await sign_in(client, "kuzmin")).status_code == 303
    assert await answers(client, "ghost", 1) == [(401, "неверный")]


async def test_every_answer_costs_one_password_hash_check(db, client, monkeypatch):
    await make_user(db, "belova")
    checks: list[str] = []
    real = users._verify

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(users, "_verify", counted)
    for login in ("belova", "nobody-here"):
        checks.clear()
        statuses = [s for s, _ in await answers(client, login, MAX_FAILURES + 2)]
        assert statuses.count(429) == 3  # the locked answers check the password too
        assert len(checks) == MAX_FAILURES + 2


def test_unknown_logins_are_bounded_in_memory():
    now = datetime.now(UTC)
    store = UnknownLogins(capacity=2)
    store.entry("one", now).failed_logins = 3
    store.entry("two", now)
    store.entry("three", now)  # "one" is forgotten: used longest ago
    assert store.entry("one", now).failed_logins == 0
    assert len(store._entries) == 2
