"""The contract every connector meets.

A connector is one class per vendor. It is built for one connection and one
run, around a VendorClient (all its HTTP goes through that client), and
  - `pull(context)` yields Batches of normalized records, each with the cursor
    to resume from once that batch is stored (a checkpoint);
  - `verify_webhook(config, headers, body)` rejects a delivery whose signature
    is wrong or missing, before anything is parsed or stored;
  - `parse_webhook(config, headers, payload, received_at)` turns a verified
    delivery into a Batch, through the same normalizer as `pull`, or says why
    the delivery is ignored.
Adding a tracker means adding one folder under connectors/ and one line to
CONNECTORS (connectors/__init__.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr

from connectors.base.http import RateLimitPolicy, VendorClient
from connectors.base.records import Batch


class ConnectionConfig(BaseModel):
    """What a connector knows of its connection (secrets already decrypted)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str
    base_url: str
    token: SecretStr | None = None
    scopes: tuple[str, ...] = ()
    team: str | None = None
    webhook_secret: SecretStr | None = None
    settings: dict[str, Any] = {}

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so errors and logs can be scrubbed of them."""
        values = (self.token, self.webhook_secret)
        return tuple(v.get_secret_value() for v in values if v is not None)


@dataclass(frozen=True)
class PullContext:
    """One run's instructions: where each scope left off, and how far to go."""

    started_at: datetime  # cursors never move past it: what changes during a run is read again
    cursors: Mapping[str, str] = field(default_factory=dict)  # scope -> stored cursor value
    full: bool = False  # re-read everything and report which items still exist


@dataclass(frozen=True)
class WebhookResult:
    """A parsed delivery: a batch to ingest, or the reason it is ignored."""

    event: str
    batch: Batch | None = None
    ignored_because: str | None = None


class Connector(ABC):
    kind: ClassVar[str]
    vendor_name: ClassVar[str]  # as people write it, for messages: "GitHub"
    rate_limit: ClassVar[RateLimitPolicy]

    def __init__(self, config: ConnectionConfig, client: VendorClient) -> None:
        self.config = config
        self.client = client

    @classmethod
    @abstractmethod
    def auth_headers(cls, config: ConnectionConfig) -> dict[str, str]:
        """The headers that authenticate every request, as the vendor documents."""

    @abstractmethod
    def pull(self, context: PullContext) -> AsyncIterator[Batch]:
        """Batches in the order they should be stored; each carries its cursor."""

    @classmethod
    @abstractmethod
    def verify_webhook(
        cls, config: ConnectionConfig, headers: Mapping[str, str], body: bytes
    ) -> None:
        """Raise WebhookRejected unless the delivery is signed with the connection's secret."""

    @classmethod
    @abstractmethod
    def delivery_id(cls, headers: Mapping[str, str], body: bytes) -> str:
        """The vendor's id of this delivery (the same on a redelivery)."""

    @classmethod
    @abstractmethod
    def parse_webhook(
        cls,
        config: ConnectionConfig,
        headers: Mapping[str, str],
        payload: Any,
        received_at: datetime,
    ) -> WebhookResult:
        """A verified delivery as a batch, through the same normalizer as pull()."""
