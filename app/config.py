"""Settings read from the environment (prefix ``APPEALS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=500)
    timezone: str = "Asia/Vladivostok"
    environment: Literal["dev", "prod", "test"] = "dev"
    migrate_on_start: bool = Field(default=True, description="Run migrations at start (dev).")
    city_config: Path | None = Field(default=None, description="City YAML applied at start.")
    ticket_number_prefix: str = Field(default="SD", pattern=r"^[A-Z]{1,6}$")
    log_level: str = "INFO"
    log_json: bool = True
    max_page_size: int = Field(default=200, ge=1, le=1000)
    default_page_size: int = Field(default=50, ge=1, le=1000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_text_length: int = Field(default=20_000, ge=100)
    idempotency_ttl_hours: int = Field(default=24, ge=1)

    feedback_platform_webhook_secrets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    incident_management_webhook_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list
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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
