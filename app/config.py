"""Settings read from the environment (prefix ``APPEALS_``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SESSION_SETTINGS = "settings"


class HasInfo(Protocol):
    """A SQLAlchemy session, sync or async: what ``settings_of`` reads."""

    @property
    def info(self) -> dict[Any, Any]: ...


def _split_secrets(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise ValueError("expected a comma-separated list")


class Settings(BaseSettings):
    """Every knob of the service; documented in README.md and docs/CONFIGURATION.md."""

    model_config = SettingsConfigDict(env_prefix="APPEALS_", env_file=None, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg:// URL; when unset an embedded PostgreSQL is started.",
    )
    data_dir: Path = Field(
        default=Path("./var"), description="Embedded PostgreSQL data lives here."
    )
    # One process may hold 30 connections, all kept once opened: an overflow connection is
    # closed on return, and opening one is a PostgreSQL fork (bench/: 72 a second at 32
    # concurrent reads, a third of the throughput; docs/PERFORMANCE.md).
    db_pool_size: int = Field(default=30, ge=1, le=200, description="Connections kept per process.")
    db_max_overflow: int = Field(
        default=0, ge=0, le=500, description="Extra connections a process may open under load."
    )
    timezone: str = Field(
        default="Asia/Vladivostok", description="The city's time zone (office hours, report days)."
    )
    environment: Literal["dev", "prod", "test"] = Field(
        default="dev", description="dev, prod or test."
    )
    migrate_on_start: bool = Field(default=True, description="Run migrations at start (dev).")
    city_config: Path | None = Field(default=None, description="City YAML applied at start.")
    ticket_number_prefix: str = Field(
        default="SD", pattern=r"^[A-Z]{1,6}$", description="Public ticket numbers: SD-2026-000123."
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(default=True, description="Structured JSON logs (false: plain text).")
    web_concurrency: int = Field(
        default=1, ge=1, le=64, description="uvicorn worker processes of `appeals serve`."
    )
    # Assumption: 5 years, the usual archival term for citizens' appeals; the city decides.
    personal_data_retention_days: int = Field(
        default=1825,
        ge=0,
        description="`appeals purge` clears personal data this many days after closure.",
    )
    max_page_size: int = Field(
        default=200, ge=1, le=1000, description="Upper bound for `limit` on list endpoints."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON request body (larger → 413)."
    )
    # The API, the console and the ПОС/ИМ webhooks refuse texts over 20 000 characters (TEXT_MAX
    # in app.models.schemas, the contract's bound and the sources' own): a fixed cap, not this.
    max_text_length: int = Field(
        default=20_000,
        ge=100,
        le=20_000,
        description="How much of a text the chat bot and Open311 keep (they cut a longer one "
        "instead of refusing it). Appeal, comment and answer texts are at most 20 000 "
        "characters everywhere: the API, the console and the ПОС and ИМ webhooks refuse longer "
        "ones (422; a webhook's is quarantined), a fixed bound this setting cannot raise: "
        "100 to 20 000, a larger value stops the service at start.",
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        description="Requests a minute per API key and api process (0 disables); over → 429.",
    )
    idempotency_ttl_hours: int = Field(
        default=24, ge=1, description="How long an Idempotency-Key outcome is kept."
    )
    routing_model_min_confidence: float = Field(
        default=0.6, ge=0, le=1, description="A learned suggestion is used only at or above it."
    )
    dedup_merge_threshold: float = Field(
        default=0.65, ge=0, le=1, description="Duplicate score that links a ticket as merged."
    )
    dedup_suggest_threshold: float = Field(
        default=0.55, ge=0, le=1, description="Duplicate score that suggests a merge."
    )
    office_hours: str = Field(
        default="09:00-18:00",
        pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
        description="Office hours in the city's time zone for working-time SLA targets.",
    )
    extra_days_off: Annotated[list[date], NoDecode] = Field(
        default_factory=list,
        description="Days off the installed production calendar does not know yet (ISO dates).",
    )
    extra_working_days: Annotated[list[date], NoDecode] = Field(
        default_factory=list,
        description="Working days (e.g. working Saturdays) the calendar does not know yet.",
    )
    sla_sweep_interval_seconds: float = Field(
        default=30.0, gt=0, description="How often a worker runs the SLA sweeper (seconds)."
    )

    webhook_max_body_bytes: int = Field(
        default=262_144, ge=1024, description="Largest inbound webhook body; larger → 413."
    )
    import_max_bytes: int = Field(
        default=52_428_800, ge=1024, description="Largest .xlsx upload to /api/v1/imports."
    )
    import_batch_rows: int = Field(
        default=500, ge=1, le=10_000, description="Rows per committed batch of an import."
    )
    feedback_platform_webhook_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated whsec_… secrets for ПОС webhooks (all accepted).",
    )
    incident_management_webhook_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated whsec_… secrets for IM webhooks (all accepted).",
    )

    # Answers back and polling (the outbox relay and the ПОС poller in `appeals worker`).
    feedback_platform_url: str | None = Field(
        default=None, description="ПОС base URL: OAuth, item reads and answers back."
    )
    incident_management_url: str | None = Field(
        default=None, description="Инцидент Менеджмент base URL for answers back."
    )
    feedback_platform_outbound_secret: str | None = Field(
        default=None, pattern=r"^whsec_", description="Signs what the relay sends to ПОС."
    )
    incident_management_outbound_secret: str | None = Field(
        default=None, pattern=r"^whsec_", description="Signs what the relay sends to IM."
    )
    department_webhook_secret: str | None = Field(
        default=None,
        pattern=r"^whsec_",
        description=(
            "Signs notifications to departments (sent to a department's `webhook_url`, set in "
            'the city YAML: `- {code: zhkh, name: "Отдел ЖКХ", webhook_url: "https://…"}`, an '
            "http(s) URL with a host, else the config is refused; blank or absent: the "
            "department is sent none)."
        ),
    )
    feedback_platform_username: str | None = Field(
        default=None, description="ПОС OAuth username (the client UUID) for polling."
    )
    feedback_platform_password: str | None = Field(
        default=None, description="ПОС OAuth password for polling."
    )
    feedback_platform_client_id: str | None = Field(
        default=None, description="ПОС OAuth client id (HTTP Basic on the token call)."
    )
    feedback_platform_client_secret: str | None = Field(
        default=None, description="ПОС OAuth client secret (HTTP Basic on the token call)."
    )
    feedback_platform_poll_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often the worker re-reads open ПОС items."
    )
    feedback_platform_poll_batch: int = Field(
        default=200, ge=1, le=5000, description="Open ПОС items re-read per poll pass."
    )
    # ССТУ.РФ (issue 21): where the relay uploads each month's appeal documents.
    sstu_url: str | None = Field(
        default=None, description="ССТУ.РФ upload base URL (the simulator: appeals simulate sstu)."
    )
    sstu_token: str | None = Field(
        default=None, description="Bearer token the relay sends with ССТУ.РФ uploads."
    )
    public_url: str | None = Field(
        default=None,
        description="The hub's own base URL as staff open it: links to console pages in CLI "
        "output (unset: the paths alone).",
    )
    feedback_platform_backoffice_url: str = Field(
        default="https://pos.gosuslugi.ru/backoffice/appeals",
        pattern=r"^https?://\S+$",
        description="ПОС back office base URL: a ПОС ticket's page in the console links to "
        "this URL, a slash and the item's ПОС number (its «Номер»).",
    )
    intake_batch_max: int = Field(
        default=500,
        ge=1,
        le=5000,
        description="Most deliveries the intake pipeline takes in one batch (one transaction); "
        "it takes what is waiting, so one when quiet, up to this under load.",
    )
    intake_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the intake pipeline looks for waiting deliveries when nothing "
        "woke it (every api process and every worker run it).",
    )
    intake_in_api: bool = Field(
        default=True,
        description="Run the intake pipeline in the api process too (woken by its own receipts "
        "and other processes' NOTIFY: a quiet system makes the ticket within tens of "
        "milliseconds); workers always run it.",
    )
    outbox_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often each worker's relay looks for due messages."
    )
    outbox_batch_size: int = Field(
        default=20, ge=1, le=500, description="Messages one relay claims and sends at once."
    )
    outbox_max_attempts: int = Field(
        default=10, ge=1, le=100, description="Attempts before a message becomes a dead letter."
    )
    outbox_backoff_base_seconds: float = Field(
        default=5.0, gt=0, description="First retry delay; doubles per attempt, with jitter."
    )
    outbox_backoff_cap_seconds: float = Field(
        default=3600.0, gt=0, description="Longest wait between attempts (Retry-After too)."
    )
    outbox_http_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout of one outbound HTTP call (relay, poller)."
    )
    outbox_lease_seconds: float = Field(
        default=60.0, gt=0, description="A claimed message whose relay died is retried after this."
    )

    # Channels (issue 9): Open311, the anonymous Telegram chat-bot, public figures, ratings.
    open311_jurisdiction_id: str | None = Field(
        default=None,
        description="Open311 jurisdiction_id this hub answers for (unset: any is accepted).",
    )
    telegram_webhook_secret: str | None = Field(
        default=None,
        description="Expected X-Telegram-Bot-Api-Secret-Token on the chat-bot webhook.",
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="Telegram Bot API base URL."
    )
    telegram_bot_token: str | None = Field(
        default=None, description="The chat-bot's Bot API token (sendMessage)."
    )
    telegram_chat_hash_key: str | None = Field(
        default=None,
        description="Secret key of the HMAC that links an anonymous chat's follow-up messages.",
    )
    telegram_chat_encryption_key: str | None = Field(
        default=None,
        description="Fernet key (urlsafe base64, 32 bytes) encrypting chat ids at rest.",
    )
    telegram_chat_retention_days: float = Field(
        default=7.0, ge=0, description="Days after closure before a report's chat id is purged."
    )
    reopen_rating_threshold: int = Field(
        default=2, ge=0, le=5, description="A citizen score (1–5) at or below it reopens."
    )
    public_stats_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long /public/v1/stats answers are cached."
    )
    console_session_secret: str | None = Field(
        default=None,
        description="Signs the sign-in form's CSRF cookie (sessions themselves are server-side); "
        "set the same value on every api replica (unset: a random key per process).",
    )
    console_cookie_secure: bool | None = Field(
        default=None,
        description="Secure flag of the console cookie (unset: on unless served on localhost).",
    )
    console_session_hours: float = Field(
        default=12.0,
        gt=0,
        le=24 * 30,
        description="Absolute lifetime of a console session: after this many hours from sign-in "
        "it ends however active it is.",
    )
    console_session_idle_minutes: float = Field(
        default=60.0,
        gt=0,
        le=24 * 60,
        description="A console session without a request for this many minutes ends.",
    )

    @field_validator(
        "feedback_platform_webhook_secrets", "incident_management_webhook_secrets", mode="before"
    )
    @classmethod
    def _secrets(cls, value: object) -> list[str]:
        secrets = _split_secrets(value)
        for secret in secrets:
            if not secret.startswith("whsec_"):
                raise ValueError("every webhook secret must start with whsec_")
        return secrets

    @field_validator("extra_days_off", "extra_working_days", mode="before")
    @classmethod
    def _dates(cls, value: object) -> list[str]:
        return _split_secrets(value)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a postgresql+asyncpg:// URL")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def settings_of(session: HasInfo) -> Settings:
    """The settings a session was made with (``Database`` puts them in ``session.info``).

    Domain code reads its settings here, from the session it was handed, never from the
    environment: one process may hold several databases with different settings (tests).
    """
    settings = session.info.get(SESSION_SETTINGS)
    if not isinstance(settings, Settings):
        raise RuntimeError("this session was not made by app.db.Database: it carries no settings")
    return settings


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
