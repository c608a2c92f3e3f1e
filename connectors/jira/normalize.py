"""Jira issue JSON → WorkItem, Links and FieldChanges. Pure functions over a JiraMapping.

Identity: an issue's external id is its numeric `id` (kept when an issue moves
to another project, where its key changes); its key (`PAY-7`) is the human key.
Jira Product Discovery ideas are issues too: of a `product_discovery` project
or of type Idea, they become roadmap items, and their "Polaris work item link"
links ("X implements idea") become `implemented by` Links from the idea to X.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from connectors.base.records import (
    FieldChange,
    HistoryField,
    HistoryValue,
    ItemKind,
    Link,
    StatusCategory,
    WorkItem,
    implied_change_id,
)
from connectors.jira.payloads import ChangeItem, Fields, History, Issue, IssueLink, Status

# Jira's statusCategory.key → ours. "undefined" is Jira's own "no category".
STATUS_CATEGORY: dict[str, StatusCategory] = {
    "new": "todo",
    "undefined": "todo",
    "indeterminate": "in_progress",
    "done": "done",
}
# Resolutions (or status names, as in Jira Product Discovery) that mean "not done, dropped".
DEFAULT_CANCELLED = frozenset(
    {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "abandoned"}
)
EPIC_TYPES = frozenset({"epic"})
IDEA_TYPES = frozenset({"idea"})
DISCOVERY_PROJECT_TYPE = "product_discovery"
DELIVERY_LINK_TYPE = "polaris work item link"
DELIVERED_BY = "implemented by"
# Field names Jira uses for what we read from custom fields (found through /field).
STORY_POINT_NAMES = ("story points", "story point estimate")
SPRINT_NAMES = ("sprint",)
TARGET_DATE_NAMES = ("target date", "target")
START_DATE_NAMES = ("start date",)
# Changelog `field` (or `fieldId`) → our history field, for Jira's own fields.
HISTORY_FIELDS: dict[str, HistoryField] = {
    "status": "status",
    "assignee": "assignees",
    "duedate": "due_date",
    "parent": "parent",
    "issueparentassociation": "parent",
    "epic link": "parent",
}


@dataclass(frozen=True)
class StatusCategories:
    """Each status of a site with its statusCategory key, as GET /rest/api/3/status
    lists them: a changelog names statuses (by id, and name) but not their category."""

    by_id: Mapping[str, str] = field(default_factory=dict)
    by_name: Mapping[str, str] = field(default_factory=dict)  # lowercase names

    @classmethod
    def of(cls, statuses: Iterable[Status]) -> StatusCategories:
        listed = [(s.id, s.name, s.statusCategory.key) for s in statuses if s.statusCategory]
        return cls(
            by_id={status_id: key for status_id, _, key in listed if status_id},
            by_name={name.lower(): key for _, name, key in listed},
        )

    def key_of(self, status_id: str | None, name: str | None) -> str | None:
        """The category key of a status; by id first, as names repeat across projects."""
        if status_id is not None and status_id in self.by_id:
            return self.by_id[status_id]
        return self.by_name.get(name.lower()) if name else None


@dataclass(frozen=True)
class JiraMapping:
    """What normalization needs beyond the issue itself: the site, and the
    connection's choices and discovered custom field ids."""

    site_url: str = ""  # browse links: {site_url}/browse/{key}
    story_points_field: str | None = None
    sprint_field: str | None = None
    target_date_field: str | None = None
    start_date_field: str | None = None
    cancelled: frozenset[str] = DEFAULT_CANCELLED  # lowercase names
    teams: Mapping[str, str] = field(default_factory=dict)  # project key → team
    team: str | None = None  # the connection's team, when no project is mapped
    # Empty for webhooks, which cannot ask for the list: ingest then dates the
    # category change from its own diff (app/items/plan.py).
    statuses: StatusCategories = field(default_factory=StatusCategories)


def issue_to_item(
    raw: dict[str, Any], mapping: JiraMapping, issue: Issue | None = None
) -> WorkItem:
    """One Jira issue (search result, single GET or webhook `issue`) as a WorkItem;
    `issue` is `raw` already parsed, when the caller has it."""
    issue = issue or Issue.of(raw)
    fields = issue.fields
    project = fields.project.key if fields.project else issue.key.rsplit("-", 1)[0]
    updated = fields.updated or fields.created or datetime.fromtimestamp(0, UTC)
    item_kind = kind(fields)
    return WorkItem(
        external_id=issue.id,
        key=issue.key,
        scope=project,
        url=f"{mapping.site_url.rstrip('/')}/browse/{issue.key}" if mapping.site_url else None,
        kind=item_kind,
        title=fields.summary or issue.key,
        description=text_of(fields.description),
        status=fields.status.name if fields.status else "",
        status_category=status_category(fields, mapping.cancelled),
        team=mapping.teams.get(project) or mapping.team or project,
        project=project,
        assignees=(name,) if fields.assignee and (name := fields.assignee.shown) else (),
        labels=tuple(fields.labels) + tuple(c.name for c in fields.components),
        estimate=number(fields.custom(mapping.story_points_field)),
        priority=fields.priority.name if fields.priority else None,
        start_date=date_of(fields.custom(mapping.start_date_field), part="start"),
        due_date=_due(fields, mapping, item_kind),
        parent_external_id=fields.parent.id if fields.parent else None,
        sprint=sprint_name(fields.custom(mapping.sprint_field)),
        created_at=fields.created or updated,
        updated_at=updated,
        closed_at=fields.resolutiondate,
        source_updated_at=updated,
        raw=raw,
    )


def status_category(fields: Fields, cancelled: frozenset[str]) -> StatusCategory:
    status = fields.status
    key = status.statusCategory.key if status and status.statusCategory else None
    resolution = fields.resolution.name if fields.resolution else None
    return category_of(status.name if status else None, key, resolution, cancelled)


def category_of(
    status: str | None, key: str | None, resolution: str | None, cancelled: frozenset[str]
) -> StatusCategory:
    """Ours, for a status (its name and Jira category key) under a resolution."""
    if any(name is not None and name.lower() in cancelled for name in (status, resolution)):
        return "cancelled"
    return STATUS_CATEGORY.get(key, "todo") if key else "todo"


def kind(fields: Fields) -> ItemKind:
    type_name = fields.issuetype.name.lower() if fields.issuetype else ""
    project_type = fields.project.projectTypeKey if fields.project else None
    if type_name in IDEA_TYPES or project_type == DISCOVERY_PROJECT_TYPE:
        return "roadmap_item"
    return "epic" if type_name in EPIC_TYPES else "ticket"


def _due(fields: Fields, mapping: JiraMapping, item_kind: ItemKind) -> date | None:
    due = date_of(fields.duedate)
    if item_kind == "roadmap_item":  # an idea's date is its target date
        return date_of(fields.custom(mapping.target_date_field)) or due
    return due


def issue_links(issue: Issue) -> tuple[Link, ...]:
    """The links an issue states, each from its outward end to its inward end.

    Delivery links of Jira Product Discovery ("X implements idea") become
    `implemented by` links from the idea to the delivery issue, the direction every
    roadmap link runs in; other link types keep their outward verb.
    """
    return tuple(_link(issue.id, link) for link in issue.fields.issuelinks if _other(link))


def _other(link: IssueLink) -> str | None:
    other = link.outwardIssue or link.inwardIssue
    return other.id if other else None


def _link(this: str, link: IssueLink) -> Link:
    verb = link.type.outward or link.type.name
    if link.outwardIssue is not None:  # this <outward> other
        source, target = this, link.outwardIssue.id
    else:  # other <outward> this
        source, target = _other(link) or this, this
    if link.type.name.lower() == DELIVERY_LINK_TYPE:
        # Roadmap links run from what is delivered to what delivers it.
        verb, source, target = DELIVERED_BY, target, source
    return Link(source_external_id=source, target_external_id=target, kind=verb, stated_by=this)


# --- history ---------------------------------------------------------------------


def history_changes(
    issue_id: str, histories: Iterable[History], mapping: JiraMapping
) -> list[FieldChange]:
    """Past changes of the fields we keep history for, each with its real time; a
    status change that moved the status category states that change too.

    change_id is `<history id>:<field>`: stable whenever the changelog is read again.
    """
    changes: list[FieldChange] = []
    resolution: str | None = None  # an issue is created unresolved
    for history in histories:
        changes += _stated_changes(issue_id, history, mapping)
        before, resolution = _resolutions(history, resolution)
        category = _category_change(issue_id, history, (before, resolution), mapping)
        if category is not None:
            changes.append(category)
    return changes


def _stated_changes(issue_id: str, history: History, mapping: JiraMapping) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for item in history.items:
        ours = history_field(item, mapping)
        if ours is None or any(change.field == ours for change in changes):
            continue
        old, new = history_values(ours, item)
        changes.append(
            FieldChange(
                external_id=issue_id,
                change_id=f"{history.id}:{ours}",
                field=ours,
                old=old,
                new=new,
                at=history.created,
            )
        )
    return changes


def _resolutions(history: History, current: str | None) -> tuple[str | None, str | None]:
    """The resolution before and after a history, given the one before it."""
    for item in history.items:
        if item.field.lower() == "resolution":
            return item.fromString, item.toString
    return current, current


def _category_change(
    issue_id: str,
    history: History,
    resolutions: tuple[str | None, str | None],
    mapping: JiraMapping,
) -> FieldChange | None:
    """The status category change a history's status change made, under the id
    ingest gives that change when it finds it in its own diff (a webhook's)."""
    item = next((i for i in history.items if history_field(i, mapping) == "status"), None)
    if item is None:
        return None
    old_key = mapping.statuses.key_of(item.from_, item.fromString)
    new_key = mapping.statuses.key_of(item.to, item.toString)
    if old_key is None or new_key is None:  # a status the list lacks: ingest's diff tells
        return None
    old = category_of(item.fromString, old_key, resolutions[0], mapping.cancelled)
    new = category_of(item.toString, new_key, resolutions[1], mapping.cancelled)
    if old == new:
        return None
    return FieldChange(
        external_id=issue_id,
        change_id=implied_change_id(f"{history.id}:status", "status_category"),
        field="status_category",
        old=old,
        new=new,
        at=history.created,
    )


def history_field(item: ChangeItem, mapping: JiraMapping) -> HistoryField | None:
    field_id = item.fieldId
    if field_id is not None and field_id == mapping.story_points_field:
        return "estimate"
    if field_id is not None and field_id == mapping.sprint_field:
        return "sprint"
    name = item.field.lower()
    if name in STORY_POINT_NAMES and mapping.story_points_field is None:
        return "estimate"
    if name in SPRINT_NAMES:
        return "sprint"
    return HISTORY_FIELDS.get((field_id or "").lower()) or HISTORY_FIELDS.get(name)


def history_values(which: HistoryField, item: ChangeItem) -> tuple[HistoryValue, HistoryValue]:
    """Old and new values in the form the store keeps for the WorkItem field."""
    if which == "assignees":
        return _names(item.fromString), _names(item.toString)
    if which == "estimate":
        return number(item.fromString), number(item.toString)
    if which == "sprint":
        return _last_sprint(item.fromString), _last_sprint(item.toString)
    if which == "due_date":
        return _day(item.from_ or item.fromString), _day(item.to or item.toString)
    if which == "parent":
        return item.from_ or None, item.to or None
    return item.fromString or None, item.toString or None


def _names(value: str | None) -> list[str]:
    return [value] if value else []


def _day(value: str | None) -> str | None:
    found = date_of(value)
    return found.isoformat() if found else None


def _last_sprint(value: str | None) -> str | None:
    # A changelog lists every sprint the issue is in, comma-separated; the last is current.
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    return names[-1] if names else None


# --- values ----------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A story-point value: a JSON number, or a string of one (changelogs, old fields)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def date_of(value: Any, *, part: Literal["start", "end"] = "end") -> date | None:
    """A date from `YYYY-MM-DD...`, or from a Product Discovery interval
    (`{"start": ..., "end": ...}`, as an object or a JSON string: its `part`)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, dict):
        value = value.get(part) or value.get("start" if part == "end" else "end")
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def sprint_name(value: Any) -> str | None:
    """The current sprint of a sprint field: the active one, else the last listed.

    Cloud sends objects `{id, name, state, ...}`; older sites sent strings
    `com.atlassian.greenhopper.service.sprint.Sprint@…[id=1,…,name=Sprint 1,…]`.
    """
    if not isinstance(value, list) or not value:
        return None
    sprints = [_sprint(entry) for entry in value]
    named = [(name, state) for name, state in sprints if name]
    active = [name for name, state in named if state == "active"]
    return active[-1] if active else (named[-1][0] if named else None)


def _sprint(entry: Any) -> tuple[str | None, str | None]:
    if isinstance(entry, dict):
        state = entry.get("state")
        return entry.get("name"), state.lower() if isinstance(state, str) else None
    if isinstance(entry, str) and "[" in entry:
        pairs = dict(_pair(part) for part in entry[entry.index("[") + 1 : -1].split(","))
        return pairs.get("name") or None, (pairs.get("state") or "").lower() or None
    return None, None


def _pair(part: str) -> tuple[str, str]:
    key, _, value = part.partition("=")
    return key.strip(), value.strip()


def text_of(description: Any) -> str | None:
    """Plain text of a description: v2 strings as they are, v3 ADF documents flattened
    (one line per block)."""
    if description is None or isinstance(description, str):
        return description
    if not isinstance(description, dict):
        return None
    lines = [_inline_text(block) for block in description.get("content") or []]
    return "\n".join(lines) or None


def _inline_text(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    children = node.get("content") or []
    separator = "\n" if node.get("type") in {"bulletList", "orderedList", "listItem"} else ""
    return separator.join(_inline_text(child) for child in children)
