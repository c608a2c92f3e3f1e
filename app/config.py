"""The one settings object. Nothing else in Issuebridge reads the environment."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///bridge.db"


class Settings(BaseSettings):
    """Configuration from `BRIDGE_*` environment variables (see CONTRACT.md)."""

    model_config = SettingsConfigDict(env_prefix="BRIDGE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    api_tokens: Annotated[tuple[str, ...], NoDecode] = ()
    secret_key: str | None = None
    scheduler: bool = True
    webhook_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    # How long a sync's lease lives without a heartbeat: how soon another worker
    # takes over the connection of a worker that died.
    lease_seconds: int = Field(default=60, ge=2)
    # Scheduled syncs one process runs at once; due connections beyond it wait their turn.
    max_concurrent_syncs: int = Field(default=8, ge=1, le=256)
    # How long `bridge worker` may take to stop after SIGTERM before it exits anyway.
    shutdown_grace_seconds: float = Field(default=30, gt=0)
    # Alerts (app/alerts/): how often roadmap items are checked against the alert
    # targets; how many times a notification is tried; the first retry's delay,
    # doubled at each further retry (capped at an hour); one request's timeout.
    alerts_interval_seconds: float = Field(default=60, gt=0)
    alert_max_attempts: int = Field(default=8, ge=1, le=100)
    alert_backoff_seconds: float = Field(default=5, ge=0)
    alert_timeout_seconds: float = Field(default=10, gt=0)

    @field_validator("api_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(token.strip() for token in value.split(",") if token.strip())
        return value

    @field_validator("scheduler", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"on", "off"}:
            return value.strip().lower() == "on"
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "BRIDGE_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
