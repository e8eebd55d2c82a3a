"""Console users: creation, argon2 password checks with lockout, and their principal."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.access.login_lockout import Failures, UnknownLogins, count_failure, is_locked
from app.access.sessions import end_user_sessions
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.models.common import Role
from app.models.directory import Department
from app.models.users import ConsoleUser

LOGIN = re.compile(r"^[a-z0-9._-]{2,64}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the login is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountLocked(Unauthorized):
    """Too many failed sign-ins: the account is locked for a while."""


def principal_for(user: ConsoleUser) -> Principal:
    """The principal a signed-in person acts as; the timeline names them ``user:<login>``."""
    return Principal(None, Role(user.role), user.department_code, f"user:{user.login}")


async def create_user(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    role: Role,
    department_code: str | None,
    name: str = "",
) -> ConsoleUser:
    """Store a new console user with an argon2 hash of the password."""
    login = login.strip().lower()
    if not LOGIN.match(login):
        raise ValidationFailed("login: 2-64 of a-z 0-9 . _ -", field="login")
    _check_password(password)
    if role == Role.integration:
        raise ValidationFailed("integration is for API keys, not people", field="role")
    if role != Role.admin and not department_code:
        raise ValidationFailed(f"role '{role}' needs a department", field="department")
    if department_code and await session.get(Department, department_code) is None:
        raise NotFound(f"department '{department_code}' does not exist")
    if (await session.exec(select(ConsoleUser).where(ConsoleUser.login == login))).first():
        raise Conflict(f"login '{login}' is taken")
    user = ConsoleUser(
        login=login,
        password_hash=_hasher.hash(password),
        role=role.value,
        department_code=department_code,
        name=name,
    )
    session.add(user)
    await session.flush()
    return user


async def get_active_user(session: AsyncSession, user_id: int) -> ConsoleUser | None:
    """The user behind a session cookie, unless removed or disabled."""
    user = await session.get(ConsoleUser, user_id)
    if user is None or user.disabled_at is not None:
        return None
    return user


async def sign_in(
    session: AsyncSession, *, login: str, password: str, now: datetime, unknown: UnknownLogins
) -> ConsoleUser:
    """Check a login and password; count failures and lock (``access.login_lockout``).

    A login that names no enabled user is counted and locked the same way (in ``unknown``),
    and every answer costs one argon2 check, so neither the answers nor their timing tell
    which logins exist."""
    login = login.strip().lower()
    user = (
        await session.exec(select(ConsoleUser).where(ConsoleUser.login == login).with_for_update())
    ).first()
    if user is None or user.disabled_at is not None:
        _verify(_DUMMY_HASH, password)
        _refuse(unknown.entry(login, now), now)
    if is_locked(user, now):
        _verify(user.password_hash, password)  # as costly as any other answer
        raise _locked()
    if not _verify(user.password_hash, password):
        locks = count_failure(user, now)
        await session.flush()
        raise _locked() if locks else Unauthorized("wrong login or password")
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    await session.flush()
    return user


def _refuse(failures: Failures, now: datetime) -> NoReturn:
    """The answer to a login that names no enabled user: what a user's wrong password gets."""
    if is_locked(failures, now) or count_failure(failures, now):
        raise _locked()
    raise Unauthorized("wrong login or password")


def _locked() -> AccountLocked:
    return AccountLocked("the account is locked after repeated failures; try later")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def list_users(session: AsyncSession) -> list[ConsoleUser]:
    return list((await session.exec(select(ConsoleUser).order_by(ConsoleUser.id))).all())  # type: ignore[arg-type]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"the password needs {MIN_PASSWORD}+ characters", field="password")


async def _by_login(session: AsyncSession, login: str) -> ConsoleUser:
    login = login.strip().lower()
    user = (
        await session.exec(select(ConsoleUser).where(ConsoleUser.login == login).with_for_update())
    ).first()
    if user is None:
        raise NotFound(f"user '{login}' does not exist")
    return user


async def set_disabled(
    session: AsyncSession, *, login: str, disabled: bool, now: datetime
) -> ConsoleUser:
    """Disable (every session of the user ends at once) or re-enable a user."""
    user = await _by_login(session, login)
    user.disabled_at = now if disabled else None
    if disabled:
        assert user.id is not None
        await end_user_sessions(session, user.id)
    else:
        user.locked_until, user.failed_logins = None, 0
    await session.flush()
    return user


async def set_password(session: AsyncSession, *, login: str, password: str) -> ConsoleUser:
    """A new password (argon2); every session of the user ends at once."""
    _check_password(password)
    user = await _by_login(session, login)
    user.password_hash = _hasher.hash(password)
    user.locked_until, user.failed_logins, user.first_failed_at = None, 0, None
    assert user.id is not None
    await end_user_sessions(session, user.id)
    await session.flush()
    return user
