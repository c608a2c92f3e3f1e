"""Jira Cloud's JSON (REST v3, webhooks), as pydantic models of only the fields we read.

Unknown fields are ignored (custom fields are read by id through `Fields.custom`);
the whole issue is kept raw beside the normalized record anyway. Timestamps come
as `2024-01-15T10:30:12.345+0000`. Models are lenient where Jira's own examples
omit fields (an issue searched with `fields=id` has no summary or status).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(Payload):
    accountId: str | None = None
    displayName: str | None = None
    name: str | None = None  # Jira Server and old Cloud payloads
    timeZone: str | None = None

    @property
    def shown(self) -> str | None:
        return self.displayName or self.name or self.accountId


class StatusCategory(Payload):
    key: str  # new | indeterminate | done (| undefined)
    name: str | None = None


class Status(Payload):
    id: str | None = None
    name: str
    statusCategory: StatusCategory | None = None


class Named(Payload):
    """Resolution, priority, component: Jira objects shown by their name."""

    id: str | None = None
    name: str


class IssueType(Payload):
    id: str | None = None
    name: str
    subtask: bool = False
    hierarchyLevel: int | None = None


class Project(Payload):
    id: str | None = None
    key: str
    name: str | None = None
    projectTypeKey: str | None = None  # software | business | service_desk | product_discovery


class IssueRef(Payload):
    """Another issue as Jira embeds it: a parent, or one end of an issue link."""

    id: str
    key: str | None = None


class LinkType(Payload):
    name: str
    inward: str | None = None
    outward: str | None = None


class IssueLink(Payload):
    """One link as shown on an issue: the OTHER issue is inwardIssue or outwardIssue.

    `outwardIssue` X means "this issue <outward> X"; `inwardIssue` X means "X <outward> this".
    """

    id: str | None = None
    type: LinkType
    inwardIssue: IssueRef | None = None
    outwardIssue: IssueRef | None = None


class Fields(Payload):
    model_config = ConfigDict(extra="allow", frozen=True)

    summary: str | None = None
    description: Any = None  # ADF document (v3) or a string (v2, webhooks)
    status: Status | None = None
    resolution: Named | None = None
    resolutiondate: datetime | None = None
    issuetype: IssueType | None = None
    project: Project | None = None
    assignee: User | None = None
    labels: list[str] = []
    components: list[Named] = []
    priority: Named | None = None
    duedate: str | None = None
    parent: IssueRef | None = None
    issuelinks: list[IssueLink] = []
    created: datetime | None = None
    updated: datetime | None = None

    def custom(self, field_id: str | None) -> Any:
        """The value of a custom field (`customfield_10016`), None when absent."""
        if field_id is None or self.model_extra is None:
            return None
        return self.model_extra.get(field_id)


class ChangeItem(Payload):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    field: str
    fieldtype: str | None = None
    fieldId: str | None = None
    from_: str | None = Field(default=None, alias="from")  # `from` is a Python keyword
    fromString: str | None = None
    to: str | None = None
    toString: str | None = None


class History(Payload):
    id: str
    created: datetime
    items: list[ChangeItem] = []


class EmbeddedChangelog(Payload):
    """`changelog` of an issue read with expand=changelog: possibly only its latest part."""

    startAt: int = 0
    maxResults: int | None = None
    total: int | None = None
    histories: list[History] = []

    @property
    def complete(self) -> bool:
        return self.total is None or len(self.histories) >= self.total


class ChangelogPage(Payload):
    """GET /rest/api/3/issue/{key}/changelog: one page of histories, oldest first."""

    startAt: int = 0
    maxResults: int
    total: int
    isLast: bool | None = None
    values: list[History] = []


class Issue(Payload):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    id: str
    key: str
    self_: str | None = Field(default=None, alias="self")
    fields: Fields = Fields()
    changelog: EmbeddedChangelog | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Issue:
        return cls.model_validate(raw)


class SearchPage(Payload):
    """POST /rest/api/3/search/jql: issues, and a token unless this is the last page."""

    issues: list[dict[str, Any]] = []
    nextPageToken: str | None = None
    isLast: bool | None = None


class FieldInfo(Payload):
    """One entry of GET /rest/api/3/field."""

    id: str
    name: str
    custom: bool = False


class WebhookEvent(Payload):
    """A Jira webhook delivery's top level."""

    webhookEvent: str
    timestamp: int | None = None
    issue_event_type_name: str | None = None
    issue: dict[str, Any] | None = None
    changelog: dict[str, Any] | None = None
    issueLink: dict[str, Any] | None = None


class WebhookIssueLink(Payload):
    """`issueLink` of issuelink_created / issuelink_deleted: ids only."""

    id: int | str
    sourceIssueId: int | str
    destinationIssueId: int | str
    issueLinkType: LinkType
