"""The Linear webhook parser and normalizer on every real delivery, and the checks
a delivery must pass before it is stored."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import orjson
import pytest
from pydantic import SecretStr

from connectors.base.contract import ConnectionConfig, WebhookResult
from connectors.base.records import Batch, FieldChange, Link
from connectors.base.webhooks import WebhookRejected, hmac_sha256_hex
from connectors.linear.connector import LinearConnector
from connectors.linear.normalize import (
    initiative_links,
    initiative_to_item,
    issue_to_item,
    project_to_item,
)
from connectors.linear.webhook import parse
from tests.real_fixtures import load, raw_bytes, real_files

SECRET = "lin_wh_secret"
CONFIG = ConnectionConfig(name="lin", kind="linear", base_url="https://api.linear.app",
                          scopes=("WEB",), webhook_secret=SecretStr(SECRET))  # fmt: skip
RECEIVED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WEB_43 = "a4344dc7-7d8d-4b28-a93c-553ac9aba41a"
WEB_44 = "3443a709-f2b5-46f2-a136-a0445fd432be"
DELIVERIES = [p.name for p in real_files("linear")]


def batch_of(name: str, config: ConnectionConfig = CONFIG) -> Batch:
    result = parse(config, load("linear", name), RECEIVED)
    assert result.batch is not None, result.ignored_because
    return result.batch


def test_every_real_file_is_a_linear_delivery_we_parse() -> None:
    assert DELIVERIES == ["issue.create.json", "issue.remove.json", "issue.update.json"]
    events = {name: parse(CONFIG, load("linear", name), RECEIVED).event for name in DELIVERIES}
    assert events == {"issue.create.json": "Issue.create", "issue.remove.json": "Issue.remove",
                      "issue.update.json": "Issue.update"}  # fmt: skip


def test_created_issue() -> None:
    batch = batch_of("issue.create.json")
    [item] = batch.items
    assert (item.external_id, item.key, item.scope, item.team) == (WEB_43, "WEB-43", "WEB", "WEB")
    assert item.title == "Very small font in tooltip"
    assert item.description is not None
    assert item.description.startswith('The tooltips at the "Select Drawing"')
    assert (item.status, item.status_category) == ("Todo", "todo")
    assert item.url == "https://linear.app/webhooks/issue/WEB-43/very-small-font-in-tooltip"
    assert (item.priority, item.estimate, item.assignees, item.labels) == (
        "No priority",
        None,
        (),
        (),
    )
    assert (item.sprint, item.parent_external_id, item.project, item.closed_at) == (None,) * 4
    assert item.created_at == datetime(2023, 4, 11, 9, 59, 47, 94000, tzinfo=UTC)
    assert item.source_updated_at == item.updated_at == item.created_at
    assert (batch.links, batch.deletions, batch.history) == ((), (), ())


def test_updated_issue_with_its_previous_title_as_history() -> None:
    batch = batch_of("issue.update.json")
    [item] = batch.items
    assert (item.external_id, item.key) == (WEB_44, "WEB-44")
    assert item.title.endswith("and also on 25/12/22 from 0000 to 0230")
    assert (item.status, item.status_category, item.priority) == (
        "In Progress",
        "in_progress",
        "Urgent",
    )
    assert item.assignees == ("Satyam Bansal",)
    assert item.labels == ("Improvement", "Feature", "Bug", "Custom Label")
    assert item.sprint == "Cycle 1"  # the cycle has a number and no name
    assert item.url is not None
    assert item.url.startswith("https://linear.app/webhooks/issue/WEB-44/")
    updated = datetime(2023, 4, 11, 10, 16, 53, 22000, tzinfo=UTC)
    assert item.source_updated_at == updated
    assert batch.history == (
        FieldChange(
            external_id=WEB_44,
            change_id=f"{updated.isoformat()}:title",
            field="title",
            old="This is regarding the outage that we faced during 11/12/22 from 2000 to 2200.",
            new=item.title,
            at=updated,
        ),
    )


def test_removed_issue_is_a_tombstone() -> None:
    batch = batch_of("issue.remove.json")
    assert batch.items == ()
    [gone] = batch.deletions
    assert (gone.external_id, gone.key) == (WEB_44, "WEB-44")
    assert gone.deleted_at == datetime(2023, 4, 11, 10, 17, 17, 810000, tzinfo=UTC)


def test_an_issue_of_a_team_outside_the_scopes_is_ignored() -> None:
    config = CONFIG.model_copy(update={"scopes": ("ENG",)})
    result = parse(config, load("linear", "issue.create.json"), RECEIVED)
    assert result.batch is None
    assert result.ignored_because == "team WEB is not a scope of lin"


def test_an_issue_in_a_project_states_its_membership() -> None:
    payload = load("linear", "issue.update.json")
    payload["data"]["project"] = {"id": "p-1", "name": "Outage follow-up"}
    payload["data"]["projectId"] = "p-1"
    batch = batch_of_payload(payload)
    assert batch.items[0].project == "Outage follow-up"
    assert batch.links == (Link(source_external_id="p-1", target_external_id=WEB_44,
                                kind="contains", stated_by=WEB_44),)  # fmt: skip


def batch_of_payload(payload: object) -> Batch:
    result: WebhookResult = parse(CONFIG, payload, RECEIVED)
    assert result.batch is not None
    return result.batch


def test_a_comment_delivery_is_ignored() -> None:
    payload = {"action": "create", "type": "Comment", "data": {"id": "c"}, "webhookTimestamp": 1}
    result = parse(CONFIG, payload, RECEIVED)
    assert (result.event, result.ignored_because) == (
        "Comment.create",
        "Comment events are not used",
    )


def test_a_project_delivery_is_a_roadmap_item() -> None:
    payload = {"action": "update", "type": "Project", "webhookTimestamp": 1, "data": {
        "id": "p-1", "name": "Faster checkout", "description": "Under a second",
        "state": "started", "startDate": "2026-01-01", "targetDate": "2026-03-31",
        "createdAt": "2025-12-01T10:00:00.000Z",
        "updatedAt": "2026-01-02T10:00:00.000Z"}}  # fmt: skip
    [item] = batch_of_payload(payload).items
    assert (item.kind, item.key, item.title, item.status_category) == (
        "roadmap_item", "Faster checkout", "Faster checkout", "in_progress")  # fmt: skip
    assert (item.start_date, item.due_date) == (date(2026, 1, 1), date(2026, 3, 31))


def test_api_nodes_and_webhook_data_normalize_alike() -> None:
    """The API nests parent and labels where a webhook has ids and a list."""
    data = load("linear", "issue.update.json")["data"]
    node = dict(data, identifier="WEB-44", labels={"nodes": data["labels"]},
                parent={"id": "parent-1"})  # fmt: skip
    flat = dict(data, parentId="parent-1")
    assert issue_to_item(node).model_dump(exclude={"raw"}) == issue_to_item(
        flat).model_dump(exclude={"raw"})  # fmt: skip


def test_project_status_types_map_to_categories() -> None:
    base = {"id": "p", "name": "P", "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z"}  # fmt: skip
    categories = {
        kind: project_to_item(
            dict(base, status={"name": kind.title(), "type": kind}), scope="X"
        ).status_category
        for kind in ("backlog", "planned", "started", "paused", "completed", "canceled")
    }
    assert categories == {"backlog": "todo", "planned": "todo", "started": "in_progress",
                          "paused": "in_progress", "completed": "done",
                          "canceled": "cancelled"}  # fmt: skip


# --- verification ------------------------------------------------------------------


def fresh(name: str, *, age_seconds: float = 0.0) -> bytes:
    payload = load("linear", name)
    payload["webhookTimestamp"] = int((time.time() - age_seconds) * 1000)
    return orjson.dumps(payload)


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Linear-Signature": hmac_sha256_hex(secret, body), "Linear-Delivery": "d-1"}


@pytest.mark.parametrize("name", DELIVERIES)
def test_a_fresh_signed_delivery_is_accepted(name: str) -> None:
    body = fresh(name)
    LinearConnector.verify_webhook(CONFIG, signed(body), body)
    assert LinearConnector.delivery_id(signed(body), body) == "d-1"


@pytest.mark.parametrize("name", DELIVERIES)
def test_the_captured_delivery_is_refused_as_a_replay(name: str) -> None:
    body = raw_bytes("linear", name)  # signed right, but dated 2023
    with pytest.raises(WebhookRejected, match="old"):
        LinearConnector.verify_webhook(CONFIG, signed(body), body)


def test_a_delivery_older_than_a_minute_is_refused() -> None:
    body = fresh("issue.create.json", age_seconds=61)
    with pytest.raises(WebhookRejected, match="61 s old"):
        LinearConnector.verify_webhook(CONFIG, signed(body), body)


def test_a_delivery_from_the_future_is_refused() -> None:
    body = fresh("issue.create.json", age_seconds=-120)
    with pytest.raises(WebhookRejected, match="future"):
        LinearConnector.verify_webhook(CONFIG, signed(body), body)


def test_a_wrong_signature_is_refused_before_the_timestamp_is_read() -> None:
    body = fresh("issue.create.json")
    with pytest.raises(WebhookRejected, match="does not match"):
        LinearConnector.verify_webhook(CONFIG, signed(body, "other"), body)


def test_a_body_without_timestamp_falls_back_on_the_header() -> None:
    payload = load("linear", "issue.create.json")
    del payload["webhookTimestamp"]
    body = orjson.dumps(payload)
    headers = signed(body) | {"Linear-Timestamp": str(int(time.time() * 1000))}
    LinearConnector.verify_webhook(CONFIG, headers, body)
    with pytest.raises(WebhookRejected, match="no timestamp"):
        LinearConnector.verify_webhook(CONFIG, signed(body), body)


def test_a_delivery_without_its_id_is_refused() -> None:
    with pytest.raises(WebhookRejected, match="linear-delivery"):
        LinearConnector.delivery_id({}, b"{}")


def test_an_initiative_delivery_is_a_roadmap_item() -> None:
    payload = {"action": "create", "type": "Initiative", "webhookTimestamp": 1, "data": {
        "id": "i-1", "name": "2026 Q1 goals", "status": "Active", "targetDate": "2026-03-31",
        "createdAt": "2025-12-01T10:00:00.000Z",
        "updatedAt": "2026-01-02T10:00:00.000Z"}}  # fmt: skip
    [item] = batch_of_payload(payload).items
    assert (item.kind, item.key, item.status, item.status_category, item.due_date) == (
        "roadmap_item", "2026 Q1 goals", "Active", "in_progress", date(2026, 3, 31))  # fmt: skip


def test_initiative_statuses_map_to_categories() -> None:
    base = {"id": "i", "name": "I", "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z"}  # fmt: skip
    statuses = ("Proposed", "Planned", "Active", "Completed", "Canceled")
    categories = [initiative_to_item(dict(base, status=s), scope=None).status_category
                  for s in statuses]  # fmt: skip
    assert categories == ["todo", "todo", "in_progress", "done", "cancelled"]


def test_a_project_states_its_initiatives() -> None:
    raw = {"id": "p", "name": "P", "createdAt": "2026-01-01T00:00:00Z",
           "updatedAt": "2026-01-01T00:00:00Z",
           "initiatives": {"nodes": [{"id": "i-1"}, {"id": "i-2"}]}}  # fmt: skip
    assert project_to_item(raw, scope="PAY").states_links
    assert initiative_links(raw) == tuple(
        Link(source_external_id=i, target_external_id="p", kind="contains", stated_by="p")
        for i in ("i-1", "i-2")
    )
    del raw["initiatives"]  # a webhook's project data does not say
    assert not project_to_item(raw, scope=None).states_links
