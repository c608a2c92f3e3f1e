"""Jira webhooks: verify X-Hub-Signature (`sha256=` HMAC of the raw body), then parse
through the same normalizer as the REST pull.

- jira:issue_created / jira:issue_updated carry the whole issue: it becomes a
  WorkItem with its links, and the delivery's `changelog` becomes history.
- jira:issue_deleted becomes a Deletion (keyed on the issue id).
- issuelink_created / issuelink_deleted carry only ids; Jira also sends
  jira:issue_updated for both linked issues, whose issuelinks then restate
  every link, so the link events themselves are acknowledged and ignored.
A webhook cannot ask /field, so custom field ids come from the connection's
settings or Jira Cloud's usual ids (mapping.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base.contract import ConnectionConfig, WebhookResult
from connectors.base.records import Batch, Deletion, FieldChange
from connectors.base.webhooks import WebhookRejected, verify_hmac_signature
from connectors.jira.mapping import JiraSettings, mapping_for
from connectors.jira.normalize import history_changes, issue_links, issue_to_item
from connectors.jira.payloads import History, Issue, WebhookEvent

DELIVERY_HEADER = "x-atlassian-webhook-identifier"
SIGNATURE_HEADER = "x-hub-signature"
ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated"})
LINK_EVENTS = frozenset({"issuelink_created", "issuelink_deleted"})


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
    delivery = WebhookEvent.model_validate(payload)
    event = delivery.webhookEvent
    if event in LINK_EVENTS:
        reason = "link changes arrive as jira:issue_updated of both linked issues"
        return WebhookResult(event=event, ignored_because=reason)
    if delivery.issue is None or (event not in ISSUE_EVENTS and event != "jira:issue_deleted"):
        return WebhookResult(event=event, ignored_because=f"{event} events are not used")
    issue = Issue.of(delivery.issue)
    project = issue.fields.project.key if issue.fields.project else None
    if not in_scope(config, project):
        return WebhookResult(
            event=event, ignored_because=f"{project} is not a scope of {config.name}"
        )
    if event == "jira:issue_deleted":
        at = max(received_at, _sent_at(delivery) or received_at)
        gone = Deletion(external_id=issue.id, key=issue.key, deleted_at=at)
        return WebhookResult(event=event, batch=Batch(deletions=(gone,)))
    return WebhookResult(event=event, batch=_issue_batch(config, delivery, project))


def _issue_batch(config: ConnectionConfig, delivery: WebhookEvent, project: str | None) -> Batch:
    assert delivery.issue is not None
    mapping = mapping_for(config, JiraSettings.of(config), None)
    item = issue_to_item(delivery.issue, mapping)
    item = item.model_copy(update={"scope": scope_of(config, project)})
    history: tuple[FieldChange, ...] = ()
    if delivery.changelog and delivery.changelog.get("id") and delivery.changelog.get("items"):
        # The change is what moved the issue's `updated`: that is when it happened.
        entry = History.model_validate(
            {
                "id": str(delivery.changelog["id"]),
                "created": item.updated_at,
                "items": delivery.changelog["items"],
            }
        )
        history = tuple(history_changes(item.external_id, [entry], mapping))
    return Batch(items=(item,), links=issue_links(Issue.of(delivery.issue)), history=history)


def _sent_at(delivery: WebhookEvent) -> datetime | None:
    if delivery.timestamp is None:
        return None
    return datetime.fromtimestamp(delivery.timestamp / 1000, UTC)


def in_scope(config: ConnectionConfig, project: str | None) -> bool:
    """Project scopes are matched; a JQL scope cannot be evaluated here, so a
    connection with one takes every issue its webhook (itself JQL-filtered) sends."""
    if not config.scopes or any(scope.startswith("jql:") for scope in config.scopes):
        return True
    return project is not None and project.upper() in {s.upper() for s in config.scopes}


def scope_of(config: ConnectionConfig, project: str | None) -> str | None:
    """The connection scope an issue belongs to, as a pull would record it."""
    if project is not None and project.upper() in {s.upper() for s in config.scopes}:
        return next(s for s in config.scopes if s.upper() == project.upper())
    jql_scopes = [s for s in config.scopes if s.startswith("jql:")]
    return jql_scopes[0] if len(jql_scopes) == 1 else project
