"""Shared fixtures: a real PostgreSQL database per test session, the app, an HTTP client."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("APPEALS_ENVIRONMENT", "test")
os.environ.setdefault("APPEALS_LOG_JSON", "true")

from app.config import get_settings
from app.db import Database
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config
from app.main import create_app
from app.metrics.hooks import install_metric_hooks
from app.migrate import upgrade
from tests.support.database import (
    DatabaseReset,
    create_database,
    drop_database,
    server_url,
)

# Every test fails that writes into the work tree (screenshots go to build/).
pytest_plugins = ("tests.support.tree_guard",)

ROOT = Path(__file__).resolve().parent.parent
CITY_CONFIG = ROOT / "config" / "city.example.yaml"


@pytest.fixture(scope="session", autouse=True)
def metric_hooks() -> None:
    """The ORM hooks of the durable metrics, installed as every app and worker start-up does."""
    install_metric_hooks()


@pytest.fixture(scope="session")
async def base_database_url() -> str:
    return server_url()


@pytest.fixture(scope="session")
async def database_url(base_database_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test session, dropped at the end."""
    url = await create_database(base_database_url)
    await asyncio.to_thread(upgrade, url)
    try:
        yield url
    finally:
        await drop_database(base_database_url, url)


@pytest.fixture(scope="session")
def city_config():
    return read_city_config(CITY_CONFIG)


@pytest.fixture(scope="session")
async def db(database_url: str, city_config) -> AsyncIterator[Database]:
    """The app's Database on the test database, seeded with the example city."""
    database = Database(database_url, get_settings())
    async with database.sessionmaker() as session:
        await apply_city_config(session, city_config)
        await session.commit()
    reset = DatabaseReset(database_url)
    await reset.snapshot()
    database.test_reset = reset  # type: ignore[attr-defined]
    yield database
    await reset.close()
    await database.dispose()


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every database test starts from the migrated schema, the example city, no tickets."""
    if "db" in request.fixturenames:
        db: Database = request.getfixturevalue("db")
        await db.test_reset.reset()  # type: ignore[attr-defined]
    yield


@pytest.fixture
async def app(db: Database):
    return create_app(db=db)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
