"""Running Alembic migrations from the CLI, the app start and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (blocking; call in a thread from async code)."""
    command.upgrade(alembic_config(url), revision)


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("postgresql+asyncpg://x/x")).get_heads())


async def current_revisions(conn: AsyncConnection) -> set[str]:
    def _read(sync_conn: object) -> set[str]:
        return set(MigrationContext.configure(sync_conn).get_current_heads())  # type: ignore[arg-type]

    return await conn.run_sync(_read)
