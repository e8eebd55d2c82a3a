"""API keys: creation, hashing, and resolving a bearer token to a principal."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound, Unauthorized, ValidationFailed
from app.models.auth import ApiKey
from app.models.common import Role, utcnow
from app.models.directory import Department

KEY_PREFIX = "apk_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key with a role, bound to a department (admins may be unbound)."""

    key_id: int | None
    role: Role
    department_code: str | None
    name: str = ""

    @property
    def actor(self) -> str:
        """How this principal is named on the ticket timeline."""
        if self.key_id is not None:
            return f"key:{self.key_id}"
        # A person signed in to the console: ``user:<login>``; anything else is the system.
        return self.name if self.name.startswith("user:") else f"system:{self.name}"

    @property
    def sees_all_departments(self) -> bool:
        return self.role == Role.admin

    @property
    def may_read_personal_data(self) -> bool:
        # The department's own staff answer the citizen and need the contact details; admins
        # configure the system and see them masked.
        return self.role in (Role.operator, Role.manager)


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_key() -> tuple[str, str]:
    """A new key and its visible prefix."""
    visible = secrets.token_hex(4)
    return f"{KEY_PREFIX}{visible}_{secrets.token_urlsafe(32)}", f"{KEY_PREFIX}{visible}"


async def create_api_key(
    session: AsyncSession, *, role: Role, department_code: str | None, name: str = ""
) -> tuple[ApiKey, str]:
    """Store a new key (hashed) and return it with the clear token, shown once."""
    if role != Role.admin and not department_code:
        raise ValidationFailed(f"role '{role}' needs a department")
    if department_code and await session.get(Department, department_code) is None:
        raise NotFound(f"department '{department_code}' does not exist")
    token, prefix = generate_key()
    key = ApiKey(
        prefix=prefix,
        key_hash=hash_key(token),
        role=role.value,
        department_code=department_code,
        name=name,
    )
    session.add(key)
    await session.flush()
    return key, token


class KeyCache:
    """The keys one process resolved, valid while ``api_key_version.token`` stays what it was
    when they were read (migration 0019).

    A statement trigger replaces the token on every write to ``api_keys`` — a new key, a
    revocation, an edit in psql — whoever makes it; a request reads the token (with its own
    statement where it can, ``app.tickets.pages``) and uses a cached key only when it is
    unchanged. So a revoked key is refused by every process on its next request. Only keys
    that resolved are kept, at most ``max_keys`` (then it starts again).
    """

    def __init__(self, max_keys: int = 10_000) -> None:
        self.token: object = None
        self.keys: dict[str, Principal] = {}
        self.max_keys = max_keys

    def get(self, key_hash: str) -> tuple[Principal, object] | None:
        """The cached principal and the token it was read under."""
        principal = self.keys.get(key_hash)
        return None if principal is None else (principal, self.token)

    def keep(self, token: object, key_hash: str, principal: Principal | None) -> None:
        """Remember what ``key_hash`` resolved to under ``token`` (forgets older tokens)."""
        if token != self.token or len(self.keys) >= self.max_keys:
            self.keys = {}
            self.token = token
        if principal is not None:
            self.keys[key_hash] = principal


# The key and the token in one statement, read under the same snapshot (a row even when the
# key is unknown). Shared by the session path below and the raw path of app.tickets.pages.
RESOLVE_SQL = (
    "SELECT v.token, k.id, k.role, k.department_code, k.name, k.revoked_at "
    "FROM api_key_version v LEFT JOIN api_keys k ON k.key_hash = {param}"
)
TOKEN_SQL = "SELECT token FROM api_key_version"
_RESOLVE = text(RESOLVE_SQL.format(param=":key_hash"))
_TOKEN = text(TOKEN_SQL)


def require_token(token: str | None) -> str:
    """The bearer token's hash; 401 without one."""
    if not token:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
    return hash_key(token)


def principal_of(row: Any) -> Principal:
    """The principal of a resolved row (``RESOLVE_SQL``), or 401 for an unknown/revoked key."""
    _, key_id, role, department_code, name, revoked_at = row
    if key_id is None or revoked_at is not None:
        raise Unauthorized("the API key is unknown or revoked")
    return Principal(key_id, Role(role), department_code, name)


def resolved(cache: KeyCache | None, key_hash: str, row: Any) -> Principal:
    """Keep a freshly resolved row in ``cache`` and return its principal (or 401)."""
    try:
        principal = principal_of(row)
    except Unauthorized:
        if cache is not None:
            cache.keep(row[0], key_hash, None)
        raise
    if cache is not None:
        cache.keep(row[0], key_hash, principal)
    return principal


@dataclass(frozen=True)
class Caller:
    """A bearer key and its principal: ``verified`` when just read from the database, else
    cached under ``token`` and to be confirmed by a statement that reads the token
    (``confirmed``)."""

    key_hash: str
    principal: Principal
    token: object
    verified: bool

    def confirmed(self, token: object) -> bool:
        """The key is still what it was cached as, given the token the statement read."""
        return self.verified or token == self.token


async def resolve_with(conn: Any, cache: KeyCache, key_hash: str) -> Caller:
    """The key read now through a raw asyncpg connection (and kept in ``cache``), or 401."""
    row = await conn.fetchrow(RESOLVE_SQL.format(param="$1"), key_hash)
    return Caller(key_hash, resolved(cache, key_hash, row), row[0], verified=True)


def cached_caller(cache: KeyCache, key_hash: str) -> Caller | None:
    """The key as this process cached it, unconfirmed; None when it is not cached."""
    found = cache.get(key_hash)
    return None if found is None else Caller(key_hash, found[0], found[1], verified=False)


async def authenticate(
    session: AsyncSession, token: str | None, cache: KeyCache | None = None
) -> Principal:
    """Resolve a bearer token to its principal or raise 401: from ``cache`` when the token
    row is unchanged (one one-row read), else from ``api_keys``."""
    key_hash = require_token(token)
    cached = cache.get(key_hash) if cache is not None else None
    if cached is not None:
        current = (await session.exec(_TOKEN)).scalar_one()  # type: ignore[call-overload]
        if current == cached[1]:
            return cached[0]
    row = (await session.exec(_RESOLVE, params={"key_hash": key_hash})).one()  # type: ignore[call-overload]
    return resolved(cache, key_hash, row)


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.exec(select(ApiKey).order_by(ApiKey.id))).all())  # type: ignore[arg-type]


async def revoke_api_key(session: AsyncSession, *, key_id: int) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
