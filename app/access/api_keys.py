"""API keys: creation, hashing, and resolving a bearer token to a principal."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

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


async def authenticate(session: AsyncSession, token: str | None) -> Principal:
    """Resolve a bearer token to its principal or raise 401."""
    if not token:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
    key = (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(token)))).first()
    if key is None or key.revoked_at is not None:
        raise Unauthorized("the API key is unknown or revoked")
    return Principal(key.id, Role(key.role), key.department_code, key.name)


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.exec(select(ApiKey).order_by(ApiKey.id))).all())  # type: ignore[arg-type]


async def revoke_api_key(session: AsyncSession, *, key_id: int) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
