"""GitHub issue JSON → WorkItem. Pure functions, driven by the mapping tables below.

Identity: an issue's external id and key are both `owner/repo#N`, so a
sub-issue's parent (known only by URL) maps to an id without a lookup.
"""

from __future__ import annotations

from typing import Any

from connectors.base.records import ItemKind, StatusCategory, WorkItem
from connectors.github.payloads import Issue, issue_key_of

# (state, state_reason) → status category. GitHub has no "in progress" state;
# IN_PROGRESS_LABELS below stands in for it.
STATUS_CATEGORY: dict[tuple[str, str | None], StatusCategory] = {
    ("open", None): "todo",
    ("open", "reopened"): "todo",
    ("closed", None): "done",
    ("closed", "completed"): "done",
    ("closed", "not_planned"): "cancelled",
    ("closed", "duplicate"): "cancelled",
}
IN_PROGRESS_LABELS = frozenset({"in progress", "in-progress", "wip", "doing"})
EPIC_LABELS = frozenset({"epic"})
EPIC_TYPES = frozenset({"epic"})


def status_category(issue: Issue) -> StatusCategory:
    category = STATUS_CATEGORY.get((issue.state, issue.state_reason))
    if category is None:  # a reason GitHub adds later: fall back on the state
        category = "todo" if issue.state == "open" else "done"
    if category == "todo" and _label_names(issue) & IN_PROGRESS_LABELS:
        return "in_progress"
    return category


def kind(issue: Issue) -> ItemKind:
    type_name = issue.type.name.lower() if issue.type else ""
    if type_name in EPIC_TYPES or _label_names(issue) & EPIC_LABELS:
        return "epic"
    return "ticket"


def issue_to_item(raw: dict[str, Any], *, team: str | None) -> WorkItem:
    """One REST issue object (from a list, a single GET or a webhook) as a WorkItem."""
    issue = Issue.model_validate(raw)
    key = f"{issue.repository}#{issue.number}"
    return WorkItem(
        external_id=key,
        key=key,
        scope=issue.repository,
        url=issue.html_url,
        kind=kind(issue),
        title=issue.title,
        description=issue.body,
        status=issue.state,
        status_category=status_category(issue),
        team=team,
        project=issue.milestone.title if issue.milestone else None,
        assignees=tuple(user.login for user in issue.assignees),
        labels=tuple(label.name for label in issue.labels),
        due_date=issue.milestone.due_on.date()
        if issue.milestone and issue.milestone.due_on
        else None,
        parent_external_id=issue_key_of(issue.parent_issue_url) if issue.parent_issue_url else None,
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        closed_at=issue.closed_at,
        source_updated_at=issue.updated_at,
        raw=raw,
        states_links=False,  # GitHub states no links on an issue; parents are a field
    )


def _label_names(issue: Issue) -> set[str]:
    return {label.name.lower() for label in issue.labels}
