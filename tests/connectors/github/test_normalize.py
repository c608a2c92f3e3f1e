"""The GitHub normalizer and webhook parser on every real payload."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.base.contract import ConnectionConfig, WebhookResult
from connectors.base.records import WorkItem
from connectors.github.normalize import issue_to_item
from connectors.github.webhook import parse
from tests.real_fixtures import load, real_files

CONFIG = ConnectionConfig(name="gh", kind="github", base_url="https://api.github.com", team="web")
RECEIVED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EVENT_OF = {"issue_comment.created.json": "issue_comment"}


def deliver(name: str, config: ConnectionConfig = CONFIG) -> WebhookResult:
    headers = {"X-GitHub-Event": EVENT_OF.get(name, "issues")}
    return parse(config, headers, load("github", name), RECEIVED)


def only_item(name: str) -> WorkItem:
    result = deliver(name)
    assert result.batch is not None, result.ignored_because
    [item] = result.batch.items
    return item


@pytest.mark.parametrize("path", real_files("github"), ids=lambda p: p.name)
def test_every_real_payload_normalizes_or_parses(path: Path) -> None:
    payload = load("github", path.name)
    if path.name.startswith("rest."):
        issues = payload if isinstance(payload, list) else [payload]
        items = [issue_to_item(raw, team=None) for raw in issues]
        assert [i.external_id for i in items] == [i.key for i in items]
    else:
        result = deliver(path.name)
        assert result.batch is not None or result.ignored_because


def test_rest_list() -> None:
    items = [issue_to_item(raw, team="web") for raw in load("github", "rest.issues.list.json")]
    repo = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
    assert [i.key for i in items] == [f"{repo}#13", f"{repo}#12", f"{repo}#11"]
    first = items[0]
    assert (first.title, first.status, first.status_category, first.kind) == (
        "Test issue 13", "open", "todo", "ticket",
    )  # fmt: skip
    assert (first.scope, first.team, first.description) == (repo, "web", None)
    assert first.url == f"https://github.com/{repo}/issues/13"
    assert first.created_at == first.updated_at == datetime(2022, 7, 19, 4, 39, 16, tzinfo=UTC)
    assert first.source_updated_at == first.updated_at
    assert first.raw == load("github", "rest.issues.list.json")[0]


def test_opened() -> None:
    item = only_item("issues.opened.json")
    assert item.key == item.external_id == "Codertocat/Hello-World#1"
    assert item.title == "Spelling error in the README file"
    assert (item.status, item.status_category) == ("open", "todo")
    assert (item.labels, item.assignees) == (("bug",), ("Codertocat",))
    assert (item.project, item.due_date) == ("v1.0", date(2019, 5, 23))
    assert item.url == "https://github.com/Codertocat/Hello-World/issues/1"
    assert item.updated_at == datetime(2019, 5, 15, 15, 20, 18, tzinfo=UTC)


def test_closed_as_completed_is_done() -> None:
    item = only_item("issues.closed.json")
    assert (item.key, item.status, item.status_category) == (
        "Pritesh-30/test-repo#8", "closed", "done",
    )  # fmt: skip
    assert item.closed_at == datetime(2026, 1, 31, 8, 11, 37, tzinfo=UTC)


def test_closed_as_not_planned_is_cancelled() -> None:
    raw = load("github", "issues.closed.json")["issue"] | {"state_reason": "not_planned"}
    assert issue_to_item(raw, team=None).status_category == "cancelled"


@pytest.mark.parametrize(
    ("name", "labels", "assignees", "updated"),
    [
        ("issues.edited.json", ("bug",), ("Codertocat",), "2019-05-15T15:20:18Z"),
        ("issues.labeled.json", ("bug",), ("Codertocat",), "2019-05-15T15:20:18Z"),
        ("issues.assigned.json", ("bug",), ("Codertocat",), "2019-05-15T15:20:18Z"),
        ("issues.unassigned.json", ("bug",), ("Codertocat",), "2019-05-15T15:20:25Z"),
        ("issues.unlabeled.json", ("bug",), ("Codertocat",), "2019-05-15T15:20:26Z"),
        ("issue_comment.created.json", ("bug",), ("Codertocat",), "2019-05-15T15:20:21Z"),
    ],
)
def test_updates_carry_the_whole_issue(
    name: str, labels: tuple[str, ...], assignees: tuple[str, ...], updated: str
) -> None:
    item = only_item(name)
    assert (item.key, item.labels, item.assignees) == (
        "Codertocat/Hello-World#1",
        labels,
        assignees,
    )
    assert item.source_updated_at == datetime.fromisoformat(updated)


def test_reopened_is_open_again() -> None:
    item = only_item("issues.reopened.json")
    assert (item.status, item.status_category) == ("open", "todo")


@pytest.mark.parametrize("name", ["issues.milestoned.json", "issues.demilestoned.json"])
def test_pull_request_deliveries_are_ignored(name: str) -> None:
    result = deliver(name)
    assert result.batch is None
    assert result.ignored_because == "pull requests are not tracked"


def test_deleted_is_a_deletion_at_receipt() -> None:
    result = deliver("issues.deleted.json")
    assert result.batch is not None
    assert result.batch.items == ()
    [gone] = result.batch.deletions
    assert (gone.external_id, gone.deleted_at) == ("Codertocat/Hello-World#1", RECEIVED)


def test_transferred_deletes_the_old_issue_and_adds_the_new_one_in_scope() -> None:
    config = CONFIG.model_copy(
        update={"scopes": ("octo-org/hello-world-npm", "codertocat/hello-world")}
    )
    result = deliver("issues.transferred.json", config)
    assert result.batch is not None
    assert [d.external_id for d in result.batch.deletions] == ["octo-org/hello-world-npm#1"]
    assert [i.key for i in result.batch.items] == ["Codertocat/Hello-World#1"]


def test_transferred_out_of_scope_only_deletes() -> None:
    config = CONFIG.model_copy(update={"scopes": ("octo-org/hello-world-npm",)})
    result = deliver("issues.transferred.json", config)
    assert result.batch is not None
    assert (len(result.batch.deletions), result.batch.items) == (1, ())


def test_repository_outside_the_scopes_is_ignored() -> None:
    config = CONFIG.model_copy(update={"scopes": ("acme/api",)})
    result = deliver("issues.opened.json", config)
    assert result.batch is None
    assert result.ignored_because == "Codertocat/Hello-World is not a scope of gh"


def test_unhandled_event_is_ignored_with_a_reason() -> None:
    result = parse(
        CONFIG, {"X-GitHub-Event": "ping"}, {"zen": "Keep it logically awesome."}, RECEIVED
    )
    assert (result.batch, result.ignored_because) == (None, "ping events are not used")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"labels": [{"name": "Epic"}]}, "epic"),
        ({"type": {"name": "Epic"}}, "epic"),
        ({"type": {"name": "Bug"}}, "ticket"),
    ],
)
def test_epics_by_label_or_issue_type(change: dict[str, object], expected: str) -> None:
    raw = load("github", "issues.opened.json")["issue"] | change
    assert issue_to_item(raw, team=None).kind == expected


def test_sub_issue_parent_is_named_by_key() -> None:
    parent_url = "https://api.github.com/repos/acme/api/issues/12"
    raw = load("github", "issues.opened.json")["issue"] | {"parent_issue_url": parent_url}
    assert issue_to_item(raw, team=None).parent_external_id == "acme/api#12"


def test_in_progress_label_marks_an_open_issue_in_progress() -> None:
    raw = load("github", "issues.opened.json")["issue"] | {"labels": [{"name": "In Progress"}]}
    assert issue_to_item(raw, team=None).status_category == "in_progress"
