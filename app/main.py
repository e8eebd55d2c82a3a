"""The FastAPI application: routers, error handlers, middleware, lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.access.api_keys import KeyCache
from app.api.docs_pages import install_docs_pages
from app.api.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    UnexpectedErrorMiddleware,
)
from app.api.problems import install_problem_handlers
from app.api.rate_limit import RateLimiter
from app.api.readiness import connectors_probe
from app.api.responses import Problem, use_problem_for_validation_errors
from app.api.routers import deliveries as deliveries_router
from app.api.routers import directory, health, tickets
from app.api.routers import feedback as feedback_router
from app.api.routers import imports as imports_router
from app.api.routers import incidents as incidents_router
from app.api.routers import metrics as metrics_router
from app.api.routers import open311 as open311_router
from app.api.routers import outbox as outbox_router
from app.api.routers import public_stats as public_stats_router
from app.api.routers import quarantine as quarantine_router
from app.api.routers import reports_digest as reports_digest_router
from app.api.routers import reports_satisfaction as reports_satisfaction_router
from app.api.routers import routing as routing_router
from app.api.routers import sla as sla_router
from app.api.routers import sstu as sstu_router
from app.api.routers import telegram_webhook as telegram_webhook_router
from app.api.routers import webhooks as webhooks_router
from app.config import Settings, get_settings
from app.console.mount import install as install_console
from app.db import Database, resolve_database_url, stop_embedded_postgres
from app.directory.city_config import read_city_config
from app.directory.city_setup import apply_city_config
from app.intake.runner import IntakeTask
from app.intake.wakeup import PipelineWaker
from app.logging_setup import configure_logging
from app.metrics.hooks import install_metric_hooks
from app.metrics.http import HttpMetricsMiddleware
from app.migrate import upgrade

log = logging.getLogger(__name__)

DESCRIPTION = """
One place for every citizen appeal of the city: tickets from «Платформа обратной связи»,
«Инцидент Менеджмент», the chat-bot and staff, routed to departments, kept on the Russian
working calendar, answered back where the citizen wrote.

Every error is RFC 9457 `application/problem+json`. Authenticate with
`Authorization: Bearer <api key>`.
"""


async def prepare_database(settings: Settings) -> Database:
    """Resolve the URL (embedded when unset), migrate in dev, apply the city config."""
    url = resolve_database_url(settings)
    if settings.migrate_on_start:
        await asyncio.to_thread(upgrade, url)
    db = Database(url, settings)
    if settings.city_config is not None:
        async with db.sessionmaker() as session:
            counts = await apply_city_config(session, read_city_config(settings.city_config))
            await session.commit()
        log.info("city configuration applied: %s", counts)
    return db


def freeze_startup_objects() -> None:
    """Move what start-up built (modules, models, mappers, the calendar) out of the collector.

    The cyclic collector's full passes walked those long-lived objects again and again, about
    a tenth of a second each: the collector took 7 % of a list page's CPU, 3 % once frozen
    (bench/cpu.py, docs/PERFORMANCE.md). Frozen objects are never collected; they were never
    garbage.
    """
    gc.collect()
    gc.freeze()


def create_app(*, db: Database | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own ``db`` (then no lifespan work is needed)."""
    settings = settings or get_settings()
    install_metric_hooks()  # the durable business series follow every ORM write

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_db = getattr(app.state, "db", None) is None
        if owns_db:
            configure_logging(settings.log_level, as_json=settings.log_json)
            app.state.db = await prepare_database(settings)
            freeze_startup_objects()
        intake = IntakeTask(app.state.db) if settings.intake_in_api else None
        if intake is not None:
            intake.start()
        waker = PipelineWaker(app.state.db.engine, local=intake.wake if intake else None)
        app.state.intake_waker = waker
        try:
            yield
        finally:
            del app.state.intake_waker
            await waker.close()
            if intake is not None:
                await intake.stop()
            if owns_db:
                await app.state.db.dispose()
                stop_embedded_postgres()

    app = FastAPI(
        title="Appeals hub",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served from the package's own assets below, never a CDN
        redoc_url=None,
    )
    if db is not None:
        app.state.db = db
    app.state.readiness_probes = {"connectors": connectors_probe(app)}
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.key_cache = KeyCache()  # API keys this process resolved (app.access.api_keys)
    install_problem_handlers(app)
    app.state.settings = settings
    app.add_middleware(
        BodySizeLimitMiddleware,
        default_limit=settings.max_body_bytes,
        limits={
            "/api/v1/webhooks/": settings.webhook_max_body_bytes,
            "/api/v1/imports/": settings.import_max_bytes,
        },
    )
    app.add_middleware(UnexpectedErrorMiddleware)  # a 500 without dropping the connection
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(HttpMetricsMiddleware)  # outermost: times every answer, 413s too
    for module in (health, tickets, directory):
        app.include_router(module.router)
    app.include_router(metrics_router.router)
    app.include_router(outbox_router.router)
    app.include_router(sla_router.router)
    app.include_router(sstu_router.router)
    app.include_router(webhooks_router.router)
    app.include_router(deliveries_router.router)
    app.include_router(quarantine_router.router)
    app.include_router(imports_router.router)
    app.include_router(routing_router.router)
    app.include_router(incidents_router.router)
    channels = (open311_router, telegram_webhook_router, reports_digest_router, feedback_router)
    for channel in (*channels, public_stats_router, reports_satisfaction_router):
        app.include_router(channel.router)
    _install_openapi(app)
    install_docs_pages(app)  # /docs and /redoc without the internet
    install_console(app)  # /console: server-rendered pages for operators (docs/CONSOLE.md)
    return app


def _install_openapi(app: FastAPI) -> None:
    """The generated contract, with every 422 documented as the problem+json it is."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.setdefault("Problem", Problem.model_json_schema())
            app.openapi_schema = use_problem_for_validation_errors(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
