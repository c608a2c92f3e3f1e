"""GitHub webhooks: verify X-Hub-Signature-256, then parse through the same
normalizer as the REST pull."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.base.contract import ConnectionConfig, WebhookResult
from connectors.base.records import Batch, Deletion, WorkItem
from connectors.base.webhooks import WebhookRejected, verify_hmac_signature
from connectors.github.normalize import issue_to_item
from connectors.github.payloads import Issue, IssuesEvent, IssueTransfer

EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"
SIGNATURE_HEADER = "x-hub-signature-256"
# Actions after which the issue no longer exists where it was.
GONE_ACTIONS = frozenset({"deleted", "transferred"})


def lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def verify(config: ConnectionConfig, headers: Mapping[str, str], body: bytes) -> None:
    secret = config.webhook_secret.get_secret_value() if config.webhook_secret else None
    verify_hmac_signature(secret, body, lowered(headers).get(SIGNATURE_HEADER))


def delivery_id(headers: Mapping[str, str]) -> str:
    value = lowered(headers).get(DELIVERY_HEADER)
    if not value:
        raise WebhookRejected(f"missing {DELIVERY_HEADER} header")
    return value


def parse(
    config: ConnectionConfig, headers: Mapping[str, str], payload: Any, received_at: datetime
) -> WebhookResult:
    event = lowered(headers).get(EVENT_HEADER, "")
    if event == "issues":
        return _issues_event(config, payload, received_at)
    if event == "issue_comment" and isinstance(payload, dict) and "issue" in payload:
        # A comment bumps the issue's updated_at; the delivery carries the whole issue.
        return _one_issue(config, event, payload["issue"])
    return WebhookResult(event=event, ignored_because=f"{event or 'unnamed'} events are not used")


def _issues_event(config: ConnectionConfig, payload: Any, received_at: datetime) -> WebhookResult:
    delivery = IssuesEvent.model_validate(payload)
    event = f"issues.{delivery.action}"
    if delivery.action not in GONE_ACTIONS:
        return _one_issue(config, event, delivery.issue)
    issue = Issue.model_validate(delivery.issue)
    if issue.is_pull_request:
        return WebhookResult(event=event, ignored_because="pull requests are not tracked")
    key = f"{issue.repository}#{issue.number}"
    at = max(received_at, issue.updated_at)
    gone = (
        (Deletion(external_id=key, key=key, deleted_at=at),)
        if in_scope(config, issue.repository)
        else ()
    )
    moved_in = _transferred_in(config, delivery) if delivery.action == "transferred" else ()
    if not gone and not moved_in:
        return WebhookResult(
            event=event, ignored_because=f"{issue.repository} is not a scope of {config.name}"
        )
    return WebhookResult(event=event, batch=Batch(items=moved_in, deletions=gone))


def _one_issue(config: ConnectionConfig, event: str, raw: dict[str, Any]) -> WebhookResult:
    if "pull_request" in raw:
        return WebhookResult(event=event, ignored_because="pull requests are not tracked")
    item = issue_to_item(raw, team=config.team)
    if not in_scope(config, item.scope):
        return WebhookResult(
            event=event, ignored_because=f"{item.scope} is not a scope of {config.name}"
        )
    return WebhookResult(event=event, batch=Batch(items=(item,)))


def _transferred_in(config: ConnectionConfig, delivery: IssuesEvent) -> tuple[WorkItem, ...]:
    """The issue in its new repository, when that repository is one we follow too."""
    transfer = IssueTransfer.model_validate(delivery.changes or {})
    item = issue_to_item(transfer.new_issue, team=config.team)
    return (item,) if in_scope(config, item.scope) else ()


def in_scope(config: ConnectionConfig, repository: str | None) -> bool:
    """GitHub names are case-insensitive; a connection without scopes takes all."""
    if not config.scopes:
        return True
    return repository is not None and repository.lower() in {s.lower() for s in config.scopes}
