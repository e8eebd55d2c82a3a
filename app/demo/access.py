"""What a new user needs to get in: the admin API key and two console sign-ins. They are kept
in the demo's data dir (``access.json``, readable by its owner only), so every run of the demo
shows the same ones."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import authenticate, create_api_key
from app.directory.city_config import CityConfig, DepartmentSpec
from app.errors import AppError, Conflict
from app.models.common import Role

ACCESS_FILE = "access.json"


@dataclass(frozen=True)
class SignIn:
    """A console account the demo made for one department."""

    login: str
    password: str
    department: str
    department_name: str
    role: str


@dataclass(frozen=True)
class DemoAccess:
    api_key: str
    sign_ins: list[SignIn]


def read_stored(path: Path) -> dict[str, Any]:
    """What an earlier run stored; nothing when the file is missing or unreadable."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def store(path: Path, access: DemoAccess) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(access), out, ensure_ascii=False, indent=2)


def demo_departments(config: CityConfig) -> list[tuple[DepartmentSpec, Role]]:
    """The triage department (the press service: triage, the digest) and the first other one."""
    triage = next(d for d in config.departments if d.triage)
    other = next(d for d in config.departments if not d.triage)
    return [(other, Role.operator), (triage, Role.manager)]


async def _admin_key(session: AsyncSession, stored: object) -> str:
    """The stored key while it still signs in; a new one otherwise."""
    if isinstance(stored, str):
        try:
            principal = await authenticate(session, stored)
        except AppError:
            pass
        else:
            if principal.role == Role.admin:
                return stored
    _, token = await create_api_key(
        session, role=Role.admin, department_code=None, name="demo admin"
    )
    return token


async def _sign_in(
    session: AsyncSession, department: DepartmentSpec, role: Role, stored: dict[str, str]
) -> SignIn:
    """The department's demo account, created or given back its stored password."""
    from app.access import users  # lazy: argon2 computes a hash when the module loads

    login = f"demo-{department.code}".replace("_", "-")
    password = stored.get(login) or secrets.token_urlsafe(12)
    try:
        await users.create_user(
            session,
            login=login,
            password=password,
            role=role,
            department_code=department.code,
            name=f"Демо: {department.name}",
        )
    except Conflict:
        await users.set_password(session, login=login, password=password)
    return SignIn(login, password, department.code, department.name, role.value)


async def ensure_access(session: AsyncSession, config: CityConfig, path: Path) -> DemoAccess:
    """The demo's key and sign-ins, the same as the last run's when it stored them."""
    stored = read_stored(path)
    passwords = {
        str(s["login"]): str(s["password"])
        for s in stored.get("sign_ins", [])
        if isinstance(s, dict) and s.get("login") and s.get("password")
    }
    return DemoAccess(
        api_key=await _admin_key(session, stored.get("api_key")),
        sign_ins=[
            await _sign_in(session, department, role, passwords)
            for department, role in demo_departments(config)
        ],
    )
