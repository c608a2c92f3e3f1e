"""Linear webhooks: verify Linear-Signature and the delivery's age, then parse
Issue, Project and Initiative deliveries through the same normalizer as the API
pull.

A delivery is signed with a hex HMAC-SHA256 of its raw body (no prefix) and
carries `webhookTimestamp` (Unix ms) in the body; like Linear's SDK we refuse
one more than 60 s away from now, so a captured delivery cannot be replayed
later. `remove` means the entity is gone (trashed or deleted): a tombstone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from connectors.base.contract import ConnectionConfig, WebhookResult
from connectors.base.records import Batch, Deletion
from connectors.base.webhooks import WebhookRejected, check_timestamp, verify_hmac_signature
from connectors.linear.history import field_changes
from connectors.linear.normalize import (
    initiative_to_item,
    is_gone,
    issue_to_item,
    project_links,
    project_to_item,
)
from connectors.linear.payloads import Issue, WebhookEvent

SIGNATURE_HEADER = "linear-signature"
DELIVERY_HEADER = "linear-delivery"
TIMESTAMP_HEADER = "linear-timestamp"  # the SDK's fallback when the body has none
MAX_AGE_SECONDS = 60.0
HANDLED_TYPES = frozenset({"Issue", "Project", "Initiative"})


# Roadmap items: a delivery does not say under which of our scopes a sync lists them.
CONTAINERS = {"Project": project_to_item, "Initiative": initiative_to_item}


def lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def verify(config: ConnectionConfig, headers: Mapping[str, str], body: bytes) -> None:
    secret = config.webhook_secret.get_secret_value() if config.webhook_secret else None
    found = lowered(headers)
    verify_hmac_signature(secret, body, found.get(SIGNATURE_HEADER), prefix="")
    check_timestamp(_timestamp(body, found), max_age_seconds=MAX_AGE_SECONDS)


def _timestamp(body: bytes, headers: Mapping[str, str]) -> Any:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebhookRejected("the signed body is not JSON") from None
    stamp = payload.get("webhookTimestamp") if isinstance(payload, dict) else None
    return stamp if stamp is not None else headers.get(TIMESTAMP_HEADER)


def delivery_id(headers: Mapping[str, str]) -> str:
    value = lowered(headers).get(DELIVERY_HEADER)
    if not value:
        raise WebhookRejected(f"missing {DELIVERY_HEADER} header")
    return value


def parse(config: ConnectionConfig, payload: Any, received_at: datetime) -> WebhookResult:
    delivery = WebhookEvent.model_validate(payload)
    event = f"{delivery.type}.{delivery.action}"
    if delivery.type not in HANDLED_TYPES:
        return WebhookResult(event=event, ignored_because=f"{delivery.type} events are not used")
    team = (delivery.data.get("team") or {}).get("key")
    if config.scopes and team is not None and team not in config.scopes:
        return WebhookResult(
            event=event, ignored_because=f"team {team} is not a scope of {config.name}"
        )
    if delivery.action == "remove" or is_gone(delivery.data):
        # An update can archive (or trash) the entity: it is gone all the same.
        return _removed(delivery, event, received_at)
    if delivery.type in CONTAINERS:
        item = CONTAINERS[delivery.type](delivery.data, scope=None)
        return WebhookResult(event=event, batch=Batch(items=(item,)))
    return _issue(delivery, event)


def _issue(delivery: WebhookEvent, event: str) -> WebhookResult:
    item = issue_to_item(delivery.data, url=delivery.url)
    history = field_changes(item, delivery.updatedFrom) if delivery.action == "update" else ()
    batch = Batch(items=(item,), links=project_links(delivery.data), history=history)
    return WebhookResult(event=event, batch=batch)


def _removed(delivery: WebhookEvent, event: str, received_at: datetime) -> WebhookResult:
    data = delivery.data
    stamps = (data.get("archivedAt"), delivery.createdAt and delivery.createdAt.isoformat())
    at = max((datetime.fromisoformat(s) for s in stamps if s), default=received_at)
    key = Issue.model_validate(data).key if delivery.type == "Issue" else data.get("name")
    gone = Deletion(external_id=str(data["id"]), deleted_at=at, key=key)
    return WebhookResult(event=event, batch=Batch(deletions=(gone,)))
