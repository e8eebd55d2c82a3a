"""Console users: people who sign in to the web console (passwords hashed with argon2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from app.models.common import ts_field


class ConsoleUser(SQLModel, table=True):
    """One person with a login, a role as for API keys, bound to a department."""

    __tablename__ = "console_users"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_type=String(64), unique=True)
    password_hash: str = Field(sa_type=String(200))
    name: str = Field(default="", sa_type=String(200))
    role: str = Field(sa_type=String(16))
    department_code: str | None = Field(
        default=None, sa_type=String(64), foreign_key="departments.code"
    )
    failed_logins: int = 0
    first_failed_at: datetime | None = ts_field()
    locked_until: datetime | None = ts_field()
    last_login_at: datetime | None = ts_field()
    created_at: datetime = ts_field(default_now=True)
    disabled_at: datetime | None = ts_field()


class ConsoleSession(SQLModel, table=True):
    """A signed-in console session. The browser holds only an opaque random id; the row is
    keyed by its SHA-256, so a copy of this table signs no one in. Deleting the row ends the
    session on every replica at its next request."""

    __tablename__ = "console_sessions"
    id_hash: str = Field(sa_type=String(64), primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    csrf: str = Field(sa_type=String(64))
    created_at: datetime = ts_field(nullable=False)
    last_seen_at: datetime = ts_field(nullable=False)
    expires_at: datetime = ts_field(nullable=False, index=True)  # the absolute end
