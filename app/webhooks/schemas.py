"""The API's view of stored webhook deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from app.models import WebhookDelivery
from app.schemas import read_model

DeliveryStatus = Literal["pending", "done", "ignored", "failed"]


class Received(BaseModel):
    """The answer to the vendor: its delivery id, and whether we had it already."""

    delivery: str
    duplicate: bool


class DeliveryRead(BaseModel):
    id: str
    connection: str
    delivery_id: str
    event: str | None
    status: DeliveryStatus
    attempts: int
    received_at: datetime
    next_attempt_at: datetime
    processed_at: datetime | None
    detail: str | None

    @classmethod
    def of(cls, delivery: WebhookDelivery, connection: str) -> DeliveryRead:
        return read_model(cls, delivery, id=str(delivery.id), connection=connection)
