"""The API's ticket list and ticket page, one statement each, written by orjson unvalidated.

A read used to cost 5-9 times the hardware's work for the same rows (docs/PERFORMANCE.md): an
API-key query, the page query, 50 rows hydrated, presented, validated and serialised again. Here
one statement per page does it all:

- the caller's key is checked by the same statement: it reads ``api_key_version.token``, and a
  key cached by this process (``app.access.api_keys.KeyCache``) counts only if that token is
  the one it was cached under; otherwise the key is read again and the page asked again;
- the statement returns exactly the fields of ``TicketPublic``, named as the API names them:
  links only to tickets the caller sees (the one visibility rule), ``overdue`` at ``now``; the
  applicant's columns are masked in Python by the one masking rule
  (``app.tickets.presenters.applicant_function``, chosen once per page); orjson writes
  datetimes as pydantic does.
  (PostgreSQL writing the JSON itself, ``json_build_object`` and ``to_char``, was measured:
  three times the database's work for no less Python.)
- the statement is built by the console's own query code (``app.tickets.queries._page``),
  compiled once per shape (which filters, sort, cursor, search steps) with every value a named
  parameter, and sent to asyncpg as is: no SQLAlchemy per request.

The page is passed through without validation: its shape is fixed by the statement, and
``tests/api/test_ticket_pages_contract.py`` checks such responses against the OpenAPI schema
and against what the pydantic presenter says for the same ticket and caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, DateTime, Text, cast, column, false, func, table
from sqlalchemy.engine import Dialect
from sqlmodel import col, select

from app.access import visibility
from app.access.api_keys import TOKEN_SQL, Caller, KeyCache, Principal, resolve_with
from app.models.schemas import TicketPublic
from app.models.tickets import Applicant, Ticket
from app.tickets import queries
from app.tickets.presenters import ApplicantValues, applicant_function
from app.tickets.queries import TicketFilters

_T = Ticket.__table__  # type: ignore[attr-defined]
_A = Applicant.__table__  # type: ignore[attr-defined]
_LINKED = _T.alias("linked")
_VERSION = table("api_key_version", column("token"))
# The API field where its column has another name.
_COLUMN_OF = {
    "category": "category_code",
    "district": "district_code",
    "department": "department_code",
}
_LINKS = {"duplicate_of": "duplicate_of_id", "repeat_of": "repeat_of_id"}
_APPLICANT = (
    "full_name",
    "surname",
    "name",
    "patronymic",
    "email",
    "phone",
    "post_address",
    "profile_url",
)


def _link(principal: Principal, name: str) -> Any:
    """The linked ticket's id when the caller sees it (the one visibility rule), else null.
    Who sees every department sees every linked ticket (the foreign key holds it exists)."""
    if principal.sees_all_departments:
        return _T.c[_LINKS[name]]
    return (
        select(_LINKED.c.id)
        .where(
            _LINKED.c.id == _T.c[_LINKS[name]],
            visibility.seen_in_sql(principal, _LINKED.c.department_code),
        )
        .scalar_subquery()
    )


def _field(principal: Principal, name: str) -> Any:
    if name in _LINKS:
        return _link(principal, name)
    if name == "overdue":
        due = _T.c.resolution_due_at < queries.param("now", DateTime(timezone=True))
        return func.coalesce(queries.is_open() & due, false())
    if name == "attachments":
        return cast(_T.c.attachments, Text)  # written into the page as it is stored
    return _T.c[_COLUMN_OF.get(name, name)]


# Every field of TicketPublic but the applicant, in its order: the first columns of a row.
FIELDS = tuple(name for name in TicketPublic.model_fields if name != "applicant")


def _columns(principal: Principal) -> list[Any]:
    return [
        *(_field(principal, name).label(name) for name in FIELDS),
        _A.c.id.label("applicant_id"),
        _A.c.purged_at.label("applicant_purged_at"),
        *(_A.c[name].label(f"applicant_{name}") for name in _APPLICANT),
    ]


def _token() -> Any:
    """The key token, read by the page's own statement (once: an InitPlan)."""
    return select(_VERSION.c.token).scalar_subquery().label("token")


@dataclass(frozen=True)
class Compiled:
    sql: str
    names: tuple[str, ...]

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


_compiled: dict[tuple[Any, ...], Compiled] = {}


def _compile(key: tuple[Any, ...], build: Callable[[], Any], dialect: Dialect) -> Compiled:
    """The statement of this shape, compiled once; every parameter must be a named one."""
    found = _compiled.get(key)
    if found is None:
        compiled = build().compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        unnamed = [n for n in names if n not in key[1]]
        if unnamed:
            raise RuntimeError(f"page statement with unnamed parameters {unnamed}")
        found = Compiled(compiled.string, names)
        if len(_compiled) > 1000:
            _compiled.clear()
        _compiled[key] = found
    return found


def list_statement(
    principal: Principal,
    filters: TicketFilters,
    params: dict[str, Any],
    *,
    sort: str,
    dialect: Dialect,
) -> Compiled:
    """The list page's statement for these parameters (``queries.page_params`` and ``now``)."""
    key = (
        "list",
        frozenset(params),
        filters.overdue,
        filters.at_risk,
        sort,
        principal.sees_all_departments,
    )

    def build() -> Any:
        order_key = queries.sort_key(sort, filters).label("sort_key")
        entities = [*_columns(principal), _token(), order_key]
        return queries._page(
            entities, principal=principal, filters=filters, params=params, sort=sort
        )

    return _compile(key, build, dialect)


def detail_statement(principal: Principal, dialect: Dialect) -> Compiled:
    """The ticket page's statement (parameters ``ticket_id``, ``now``, the viewer's)."""
    key = (
        "detail",
        frozenset(detail_params(principal, 1, datetime.min)),
        principal.sees_all_departments,
    )

    def build() -> Any:
        return (
            select(*[*_columns(principal), _token()])
            .outerjoin(Applicant, col(Applicant.id) == col(Ticket.applicant_id))
            .where(
                col(Ticket.id) == queries.param("ticket_id", BigInteger()),
                queries.visible_to(principal),
            )
        )

    return _compile(key, build, dialect)


def detail_params(principal: Principal, ticket_id: int, now: datetime) -> dict[str, Any]:
    params: dict[str, Any] = {"ticket_id": ticket_id, "now": now}
    if not principal.sees_all_departments:
        params["viewer_department"] = principal.department_code
    return params


_N = len(FIELDS)
_APPLICANT_END = _N + 2 + len(_APPLICANT)
_OPTIONS = orjson.OPT_UTC_Z  # datetimes as pydantic writes them: 2026-11-02T10:00:00Z


def ticket_item(row: Any, applicant: ApplicantValues) -> dict[str, Any]:
    """One ticket of a page (``TicketPublic``) from its row — the fields as the statement
    named and computed them, first in the row —, the applicant by ``applicant`` (the role's
    masking, ``applicant_function``)."""
    item = dict(zip(FIELDS, row, strict=False))  # to the last field: the applicant's follow
    item["attachments"] = orjson.Fragment(item["attachments"])
    if row[_N] is None or row[_N + 1] is not None:  # no applicant, or purged
        item["applicant"] = None
    else:
        item["applicant"] = applicant(*row[_N + 2 : _APPLICANT_END])
    return item


Check = Callable[[Principal], None]
Fetch = Callable[[Principal], Awaitable[tuple[Any, object]]]


async def _as_caller(
    conn: Any, cache: KeyCache, caller: Caller, check: Check, fetch: Fetch
) -> tuple[Principal, Any]:
    """``fetch`` as the caller; when the token its statement read (or, for a page with no rows,
    a read of the token) says the cached key changed — revoked, edited — the key is read anew
    (401 if revoked) and ``fetch`` runs again."""
    check(caller.principal)
    result, token = await fetch(caller.principal)
    if not caller.verified and token is None:
        token = await conn.fetchval(TOKEN_SQL)
    if caller.confirmed(token):
        return caller.principal, result
    fresh = await resolve_with(conn, cache, caller.key_hash)
    check(fresh.principal)
    result, _ = await fetch(fresh.principal)
    return fresh.principal, result


async def list_page(
    conn: Any,
    cache: KeyCache,
    caller: Caller,
    check: Check,
    *,
    filters: TicketFilters,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
    dialect: Dialect,
) -> tuple[Principal, bytes]:
    """The list page's JSON (``Page[TicketPublic]``) for the caller, and who the caller is."""

    async def fetch(principal: Principal) -> tuple[list[Any], object]:
        params = queries.page_params(
            principal=principal, filters=filters, sort=sort, limit=limit, cursor=cursor, now=now
        )
        params["now"] = now  # the page's `overdue` fields
        statement = list_statement(principal, filters, params, sort=sort, dialect=dialect)
        rows = await conn.fetch(statement.sql, *statement.args(params))
        return rows, (rows[0]["token"] if rows else None)

    principal, rows = await _as_caller(conn, cache, caller, check, fetch)
    after = None
    if len(rows) > limit:
        rows = rows[:limit]
        after = queries.next_cursor(rows[-1]["sort_key"], rows[-1]["id"])
    applicant = applicant_function(full=principal.may_read_personal_data)
    page = {"items": [ticket_item(r, applicant) for r in rows], "next_cursor": after}
    return principal, orjson.dumps(page, option=_OPTIONS)


async def ticket_page(
    conn: Any,
    cache: KeyCache,
    caller: Caller,
    check: Check,
    *,
    ticket_id: int,
    now: datetime,
    dialect: Dialect,
) -> tuple[Principal, tuple[bytes, int] | None]:
    """One ticket's JSON (``TicketPublic``) and version, None when the caller does not see it."""

    async def fetch(principal: Principal) -> tuple[Any, object]:
        statement = detail_statement(principal, dialect)
        params = detail_params(principal, ticket_id, now)
        row = await conn.fetchrow(statement.sql, *statement.args(params))
        return row, (row["token"] if row is not None else None)

    principal, row = await _as_caller(conn, cache, caller, check, fetch)
    if row is None:
        return principal, None
    item = ticket_item(row, applicant_function(full=principal.may_read_personal_data))
    return principal, (orjson.dumps(item, option=_OPTIONS), row["version"])
