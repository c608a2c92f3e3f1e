"""The API's view of a connection. Secrets go in; they never come out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.base.kinds import KINDS

NAME_PATTERN = re.compile(r"[a-z0-9-]{1,64}")
MIN_INTERVAL, MAX_INTERVAL = 1, 7 * 24 * 3600


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"invalid name {name!r}: use 1 to 64 of a-z, 0-9 and -")
    return name


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"invalid base URL {url!r}: expected http(s)://host[/path]")
    return url.rstrip("/")


class ConnectionFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    token: SecretStr | None = None
    scopes: list[str] = Field(default_factory=list)
    team: str | None = Field(default=None, max_length=255)
    webhook_secret: SecretStr | None = None
    interval: int = Field(default=300, ge=MIN_INTERVAL, le=MAX_INTERVAL, description="seconds")
    enabled: bool = True
    # Options of the connection's kind, read by its connector (jira: see the README).
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        return None if url is None else check_base_url(url)


class ConnectionCreate(ConnectionFields):
    name: str
    kind: str

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return check_name(name)

    @field_validator("kind")
    @classmethod
    def _kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
        return kind

    @model_validator(mode="after")
    def _fits_kind(self) -> ConnectionCreate:
        spec = KINDS[self.kind]
        for scope in self.scopes:
            if error := spec.scope_error(scope):
                raise ValueError(error)
        if self.base_url is None:
            if spec.default_base_url is None:
                raise ValueError(f"{self.kind} needs a base URL: its API lives on your own site")
            self.base_url = spec.default_base_url
        return self


class ConnectionUpdate(BaseModel):
    """PATCH: only the fields sent change; null clears team, token or webhook_secret."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    token: SecretStr | None = None
    scopes: list[str] | None = None
    team: str | None = Field(default=None, max_length=255)
    webhook_secret: SecretStr | None = None
    interval: int | None = Field(default=None, ge=MIN_INTERVAL, le=MAX_INTERVAL)
    enabled: bool | None = None
    settings: dict[str, Any] | None = None  # replaces them all

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        if url is None:
            raise ValueError("base_url cannot be cleared")
        return check_base_url(url)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> ConnectionUpdate:
        for name in ("scopes", "interval", "enabled", "settings"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class ConnectionStatus(BaseModel):
    """How the connection's syncs go (app/sync/schedule.py decides next_run_at)."""

    running: bool
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_failure_type: str | None
    last_error: str | None
    paused_because: str | None
    next_run_at: datetime | None


class ConnectionRead(BaseModel):
    name: str
    kind: str
    base_url: str
    scopes: list[str]
    team: str | None
    interval: int
    enabled: bool
    has_token: bool
    has_webhook_secret: bool
    settings: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    status: ConnectionStatus | None = None
