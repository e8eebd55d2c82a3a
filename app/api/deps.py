"""Dependencies shared by the routers: the request session, the caller, the clock, the settings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal, authenticate
from app.config import Settings
from app.errors import Forbidden, Unauthorized
from app.models.common import Role

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer apk_…`")
bearer_scheme = _bearer  # declares the scheme in OpenAPI (the header is parsed by bearer_token)
# RFC 6750 §2.1: the scheme, exactly one space, the token (token68 characters), nothing else.
_BEARER = re.compile(r"Bearer ([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE | re.ASCII)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; it commits once, after the endpoint returned, before the
    response is sent (services only flush)."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.db.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    # Dependencies are async throughout: FastAPI runs a sync one in a worker thread.
    return request.app.state.db.sessionmaker  # type: ignore[no-any-return]


SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


def bearer_token(request: Request) -> str | None:
    """The key from ``Authorization: Bearer <key>``; None without the header. Anything but the
    scheme (any case, RFC 9110 §11.1), one space and the key (two spaces, a trailing or
    non-breaking space, another scheme) is a 401: the header is read as sent, never trimmed.
    So is a second Authorization header: which one would count is not for the caller to guess."""
    headers = request.headers.getlist("Authorization")
    if not headers:
        return None
    if len(headers) > 1:
        raise Unauthorized("send exactly one Authorization header")
    match = _BEARER.fullmatch(headers[0])
    if match is None:
        raise Unauthorized("send the API key as 'Authorization: Bearer <key>' (one space)")
    return match.group(1)


async def get_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: SessionDep,
) -> Principal:
    """The caller, read in the request's own session (no second transaction per request).
    ``_credentials`` only declares the scheme in OpenAPI; the header is parsed strictly here."""
    cache = getattr(request.app.state, "key_cache", None)
    principal = await authenticate(session, bearer_token(request), cache)
    return admitted(request, principal)


def admitted(request: Request, principal: Principal) -> Principal:
    """The caller, counted by the per-key rate limiter (every authenticated request is)."""
    request.state.principal = principal
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.hit(principal.actor)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def check_roles(principal: Principal, roles: tuple[Role, ...]) -> None:
    """403 unless the principal has one of ``roles``."""
    if principal.role not in roles:
        raise Forbidden(
            f"role '{principal.role}' may not do this; needs one of "
            + ", ".join(r.value for r in roles)
        )


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def _check(principal: PrincipalDep) -> Principal:
        check_roles(principal, roles)
        return principal

    return _check


STAFF = (Role.operator, Role.manager, Role.admin)


AdminDep = Annotated[Principal, Depends(require_roles(Role.admin))]
StaffDep = Annotated[Principal, Depends(require_roles(*STAFF))]


async def get_now(request: Request) -> datetime:
    """The request's notion of now (tests may freeze it through ``app.state.clock``)."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock else datetime.now(UTC)


NowDep = Annotated[datetime, Depends(get_now)]


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was made with (``create_app``); routers hand domains what they need."""
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


# A database id in a path: anything outside bigint is a 422, never a database error.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Numeric id")]

# The ETag of the caller's last read. PATCH requires it (428 without); actions take it optionally.
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag of your last read (required on PATCH)"),
]
