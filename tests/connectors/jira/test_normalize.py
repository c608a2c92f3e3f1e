"""The Jira normalizer and webhook parser on every real payload."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.base.contract import ConnectionConfig, WebhookResult
from connectors.base.records import Link
from connectors.jira.normalize import (
    JiraMapping,
    StatusCategories,
    date_of,
    history_changes,
    issue_links,
    issue_to_item,
    sprint_name,
)
from connectors.jira.payloads import (
    ChangeItem,
    ChangelogPage,
    History,
    Issue,
    Status,
    StatusCategory,
)
from connectors.jira.webhook import parse
from tests.real_fixtures import load, real_files

CONFIG = ConnectionConfig(name="jira", kind="jira", base_url="https://acme.atlassian.net")
RECEIVED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MAPPING = JiraMapping(site_url="https://acme.atlassian.net")
EST = timezone(timedelta(hours=-5))
EDT = timezone(timedelta(hours=-4))


def issues_in(payload: dict[str, Any]) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = payload.get("issues", [payload])
    return issues


def deliver(name: str, config: ConnectionConfig = CONFIG) -> WebhookResult:
    return parse(config, {}, load("jira", name), RECEIVED)


@pytest.mark.parametrize("path", real_files("jira"), ids=lambda p: p.name)
def test_every_real_payload_normalizes_or_parses(path: Path) -> None:
    payload = load("jira", path.name)
    if path.name == "rest.issue.changelog.json":
        page = ChangelogPage.model_validate(payload)
        assert (page.startAt, page.total, len(page.values)) == (2, 5, 2)
    elif path.name.startswith("rest."):
        items = [issue_to_item(raw, MAPPING) for raw in issues_in(payload)]
        assert all(item.external_id.isdigit() and "-" in item.key for item in items)
    else:
        result = deliver(path.name)
        assert result.batch is not None
        assert result.batch.items or result.batch.deletions


def test_search_with_changelog_statuses_and_categories() -> None:
    raws = load("jira", "rest.search.expand_changelog.json")["issues"]
    items = {item.key: item for item in (issue_to_item(raw, MAPPING) for raw in raws)}
    assert len(items) == 25
    ut26, ut27 = items["UT-26"], items["UT-27"]
    assert (ut26.external_id, ut26.status, ut26.status_category) == ("10125", "Test", "in_progress")
    assert (ut27.status, ut27.status_category, ut27.kind) == ("Done", "done", "ticket")
    assert ut26.created_at == datetime(2015, 11, 21, 7, 3, 2, tzinfo=EST)
    assert ut26.updated_at == ut26.source_updated_at == datetime(2016, 3, 29, 7, 19, 29, tzinfo=EDT)
    assert ut26.url == "https://acme.atlassian.net/browse/UT-26"
    assert (ut26.project, ut26.team, ut26.scope) == ("UT", "UT", "UT")


def test_changelog_becomes_history_of_tracked_fields_only() -> None:
    raw = load("jira", "rest.search.expand_changelog.json")["issues"][0]
    changelog = Issue.of(raw).changelog
    assert changelog is not None
    changes = history_changes("10125", changelog.histories, MAPPING)
    # The "Workflow" history (10201) is not a field we keep.
    assert [(c.change_id, c.field, c.old, c.new) for c in changes] == [
        ("10146:status", "status", "Backlog", "Dev Active"),
        ("11332:status", "status", "Dev Active", "Dev Done"),
        ("11605:status", "status", "Dev Done", "Test"),
    ]
    assert changes[0].at == datetime(2015, 11, 21, 7, 14, 1, 643000, tzinfo=EST)


def test_configured_story_points_and_legacy_sprint_string() -> None:
    mapping = JiraMapping(story_points_field="customfield_10072", sprint_field="customfield_10021")
    raw = load("jira", "issue_created.many_fields.json")["issue"]
    item = issue_to_item(raw, mapping)
    assert (item.key, item.external_id, item.estimate) == ("KT-22", "10509", 23.0)
    assert item.sprint == "SCRUM1 Sprint 1"
    assert (item.assignees, item.labels, item.priority) == (
        ("Sample User",),
        ("Label1", "Label2"),
        "Medium",
    )
    assert (item.status, item.status_category, item.description) == (
        "To Do",
        "todo",
        "The good description",
    )


def test_resolved_webhook_carries_item_and_status_history() -> None:
    result = deliver("issue_updated.json")
    assert (result.event, result.batch is not None) == ("jira:issue_updated", True)
    assert result.batch is not None
    [item] = result.batch.items
    assert (item.external_id, item.key, item.status, item.status_category) == (
        "10040",
        "TES-41",
        "Done",
        "done",
    )
    assert item.closed_at == datetime(
        2019, 2, 15, 19, 15, 40, 470000, tzinfo=timezone(timedelta(hours=-8))
    )
    [change] = result.batch.history
    assert (change.change_id, change.field, change.old, change.new) == (
        "10228:status",
        "status",
        "In Progress",
        "Done",
    )
    assert change.at == item.updated_at


def test_assigned_webhook_history_is_a_list_of_names() -> None:
    result = deliver("issue_updated.assigned.json")
    assert result.batch is not None
    [item] = result.batch.items
    assert item.assignees == ("Test User",)
    [change] = result.batch.history
    assert (change.change_id, change.field, change.old, change.new) == (
        "10230:assignees",
        "assignees",
        [],
        ["Test User"],
    )


def test_deleted_webhook_is_a_tombstone_keyed_on_the_id() -> None:
    result = deliver("issue_deleted.json")
    assert result.batch is not None
    assert not result.batch.items
    [gone] = result.batch.deletions
    assert (gone.external_id, gone.key, gone.deleted_at) == ("10303", "IDT-19", RECEIVED)


def test_webhook_of_a_project_outside_the_scopes_is_ignored() -> None:
    config = CONFIG.model_copy(update={"scopes": ("PAY",)})
    result = deliver("issue_created.json", config)
    assert result.batch is None
    assert result.ignored_because == "TES is not a scope of jira"


def test_cancelled_resolution_is_configurable() -> None:
    raw = load("jira", "issue_updated.json")["issue"]
    done = JiraMapping(cancelled=frozenset({"done"}))
    assert issue_to_item(raw, done).status_category == "cancelled"
    assert issue_to_item(raw, MAPPING).status_category == "done"


def test_adf_description_and_issue_links() -> None:
    raw = load("jira", "rest.issue.get.json")
    item = issue_to_item(raw, MAPPING)
    assert (item.key, item.description, item.project) == ("ED-1", "Main order flow broken", "EX")
    assert issue_links(Issue.of(raw)) == (
        Link(
            source_external_id="10002",
            target_external_id="10004L",
            kind="is depended by",
            stated_by="10002",
        ),
        Link(
            source_external_id="10004",
            target_external_id="10002",
            kind="is depended by",
            stated_by="10002",
        ),
    )


def test_product_discovery_idea_is_a_roadmap_item_implemented_by_its_delivery() -> None:
    idea = {
        "id": "900001",
        "key": "IDEA-1",
        "fields": {
            "summary": "Self-serve refunds",
            "status": {"name": "Delivery", "statusCategory": {"key": "indeterminate"}},
            "issuetype": {"name": "Idea"},
            "project": {"key": "IDEA", "projectTypeKey": "product_discovery"},
            "customfield_10402": '{"start":"2026-03-31","end":"2026-03-31"}',
            "issuelinks": [
                {
                    "type": {
                        "name": "Polaris work item link",
                        "inward": "is implemented by",
                        "outward": "implements",
                    },
                    "inwardIssue": {"id": "3001", "key": "PAY-12"},
                }
            ],
            "updated": "2026-01-02T10:00:00.000+0000",
        },
    }
    mapping = JiraMapping(target_date_field="customfield_10402")
    item = issue_to_item(idea, mapping)
    assert (item.kind, item.due_date, item.status_category) == (
        "roadmap_item",
        date(2026, 3, 31),
        "in_progress",
    )
    assert issue_links(Issue.of(idea)) == (
        Link(
            source_external_id="900001",
            target_external_id="3001",
            kind="implemented by",
            stated_by="900001",
        ),
    )


def test_values() -> None:
    assert date_of("2026-01-30") == date(2026, 1, 30)
    assert date_of({"start": "2026-01-01", "end": "2026-02-01"}) == date(2026, 2, 1)
    assert date_of('{"start":"2026-01-01","end":"2026-02-01"}', part="start") == date(2026, 1, 1)
    assert date_of("not a date") is None
    sprints = [
        {"name": "S1", "state": "closed"},
        {"name": "S2", "state": "active"},
        {"name": "S3", "state": "future"},
    ]
    assert sprint_name(sprints) == "S2"
    assert sprint_name([{"name": "S1", "state": "closed"}]) == "S1"
    assert sprint_name(None) is None


def statuses(*listed: tuple[str, str, str]) -> StatusCategories:
    """A site's status list, as (id, name, statusCategory key)."""
    return StatusCategories.of(
        Status(id=status_id, name=name, statusCategory=StatusCategory(key=key))
        for status_id, name, key in listed
    )


UT_STATUSES = statuses(
    ("10002", "Backlog", "new"),
    ("10102", "Dev Active", "indeterminate"),
    ("10103", "Dev Done", "indeterminate"),
    ("10104", "Test", "indeterminate"),
    ("10001", "Done", "done"),
)


def test_a_status_change_states_the_category_change_it_made() -> None:
    raws = load("jira", "rest.search.expand_changelog.json")["issues"]
    mapping = JiraMapping(statuses=UT_STATUSES)
    moved = {}
    for raw in raws[:3]:  # UT-26, UT-27, UT-28
        issue = Issue.of(raw)
        assert issue.changelog is not None
        changes = history_changes(issue.id, issue.changelog.histories, mapping)
        status_at = {c.change_id.split(":")[0]: c.at for c in changes if c.field == "status"}
        for change in (c for c in changes if c.field == "status_category"):
            assert change.at == status_at[change.change_id.split(":")[0]]
            moved[issue.key, change.change_id] = (change.old, change.new)
    # Backlog → Dev Active starts the work; Test → Done ends it; moves inside a
    # category (Dev Active → Dev Done) change no category.
    assert moved == {
        ("UT-26", "10146:status>status_category"): ("todo", "in_progress"),
        ("UT-28", "10147:status>status_category"): ("todo", "in_progress"),
        ("UT-28", "11413:status>status_category"): ("in_progress", "done"),
    }


def test_a_status_the_list_lacks_states_no_category_change() -> None:
    """UT-27 went through Analysis Active and Analysis Done, statuses the list lacks:
    no guess (ingest's diff dates such a change when it sees one)."""
    raw = load("jira", "rest.search.expand_changelog.json")["issues"][1]
    issue = Issue.of(raw)
    assert issue.changelog is not None
    changes = history_changes(
        issue.id, issue.changelog.histories, JiraMapping(statuses=UT_STATUSES)
    )
    assert [c.field for c in changes] == ["status", "status", "status"]


def history(history_id: str, day: int, *items: tuple[str, str | None, str | None]) -> History:
    return History(
        id=history_id,
        created=datetime(2026, 11, day, tzinfo=UTC),
        items=[ChangeItem(field=name, fromString=old, toString=new) for name, old, new in items],
    )


def test_a_resolution_that_cancels_makes_the_category_cancelled_until_cleared() -> None:
    mapping = JiraMapping(
        statuses=statuses(
            ("1", "To Do", "new"), ("3", "In Progress", "indeterminate"),
            ("10001", "Done", "done"), ("6", "Closed", "done"),
        )
    )  # fmt: skip
    histories = [
        history("1", 1, ("status", "To Do", "In Progress")),
        history("2", 2, ("resolution", None, "Won't Do"), ("status", "In Progress", "Done")),
        history("3", 3, ("status", "Done", "Closed")),  # still Won't Do: still cancelled
        history("4", 4, ("resolution", "Won't Do", None), ("status", "Closed", "To Do")),
    ]
    changes = history_changes("7", histories, mapping)
    assert [(c.change_id, c.old, c.new) for c in changes if c.field == "status_category"] == [
        ("1:status>status_category", "todo", "in_progress"),
        ("2:status>status_category", "in_progress", "cancelled"),
        ("4:status>status_category", "cancelled", "todo"),
    ]
