"""The API's view of alerts: targets, alerts and their delivery attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, Field

AlertKind = Literal["creep", "target_date_moved", "at_risk"]
AlertStatus = Literal["pending", "sent", "failed"]


class AlertTargetCreate(BaseModel):
    url: AnyHttpUrl = Field(description="where notifications are POSTed (Slack-compatible)")
    secret: str = Field(
        min_length=1, max_length=1024, description="signs each body (HMAC-SHA256); never returned"
    )
    team: str | None = Field(
        default=None, max_length=255, description="only roadmap items this team owns or delivers"
    )
    roadmap_item: str | None = Field(default=None, description="only this roadmap item (its id)")
    creep_threshold_pct: float = Field(
        default=10.0, gt=0, le=10_000, description="alert when scope creep reaches this (%)"
    )


class AlertTargetRead(BaseModel):
    id: str
    url: str
    team: str | None
    roadmap_item: str | None
    creep_threshold_pct: float
    has_secret: bool
    created_at: datetime


class AlertTargetList(BaseModel):
    targets: list[AlertTargetRead]


class AlertRead(BaseModel):
    id: str
    target: str
    roadmap_item: str
    kind: AlertKind
    status: AlertStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="when it is tried again, if pending")
    sent_at: datetime | None
    payload: dict[str, Any] = Field(description="the JSON body sent")


class AlertList(BaseModel):
    alerts: list[AlertRead]


class AttemptRead(BaseModel):
    id: int
    alert: str
    at: datetime
    ok: bool
    status_code: int | None = Field(description="the receiver's HTTP status, if it answered")
    error: str | None = Field(description="why it failed when the receiver did not answer")


class AttemptList(BaseModel):
    attempts: list[AttemptRead]
