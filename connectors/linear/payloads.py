"""Linear's JSON, as pydantic models of only the fields Issuebridge reads.

One model serves both sources of an issue or a project: a node of the GraphQL
API and the `data` of a webhook delivery. They differ in a few places: the
webhook has flat ids (`parentId`, `projectId`) and a plain list of labels, and
lacks `identifier`; the API nests `parent { id }` and `labels { nodes }`.
Unknown fields are ignored; the whole object is kept raw beside the record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Ref(Payload):
    id: str


class Named(Payload):
    id: str | None = None
    name: str


class State(Payload):
    name: str
    type: str


class Team(Payload):
    key: str


class Cycle(Payload):
    id: str
    number: float
    name: str | None = None


class ProjectStatus(Payload):
    name: str
    type: str


def _nodes(value: Any) -> Any:
    """A connection (`{nodes: [...]}`) as its list; a webhook sends the list itself."""
    return value.get("nodes", []) if isinstance(value, dict) else value


class Issue(Payload):
    id: str
    identifier: str | None = None
    number: float
    title: str
    description: str | None = None
    url: str | None = None
    priority: float = 0
    estimate: float | None = None
    dueDate: date | None = None
    state: State
    team: Team
    assignee: Named | None = None
    labels: list[Named] = []
    parent: Ref | None = None
    parentId: str | None = None
    cycle: Cycle | None = None
    project: Named | None = None
    projectId: str | None = None
    createdAt: datetime
    updatedAt: datetime
    completedAt: datetime | None = None
    canceledAt: datetime | None = None
    archivedAt: datetime | None = None
    trashed: bool | None = None

    _labels = field_validator("labels", mode="before")(_nodes)

    @property
    def key(self) -> str:
        """`ENG-42`: the identifier, or (in a webhook) the team key and number it is made of."""
        return self.identifier or f"{self.team.key}-{int(self.number)}"

    @property
    def parent_id(self) -> str | None:
        return self.parent.id if self.parent else self.parentId

    @property
    def project_id(self) -> str | None:
        return self.project.id if self.project and self.project.id else self.projectId


class Project(Payload):
    id: str
    name: str
    description: str | None = None
    url: str | None = None
    state: str | None = None  # deprecated by Linear in favour of status, still sent
    status: ProjectStatus | None = None
    lead: Named | None = None
    teams: list[Team] = []
    initiatives: list[Ref] = []
    startDate: date | None = None
    targetDate: date | None = None
    createdAt: datetime
    updatedAt: datetime
    completedAt: datetime | None = None
    canceledAt: datetime | None = None
    archivedAt: datetime | None = None
    trashed: bool | None = None

    _teams = field_validator("teams", "initiatives", mode="before")(_nodes)


class Initiative(Payload):
    id: str
    name: str
    description: str | None = None
    url: str | None = None
    status: str = "Planned"
    owner: Named | None = None
    targetDate: date | None = None
    createdAt: datetime
    updatedAt: datetime
    completedAt: datetime | None = None
    archivedAt: datetime | None = None
    trashed: bool | None = None


class WebhookEvent(Payload):
    """A data-change delivery: `type` (Issue, Project...), `action`, `data`, `updatedFrom`."""

    action: str
    type: str
    data: dict[str, Any]
    updatedFrom: dict[str, Any] | None = None
    url: str | None = None
    createdAt: datetime | None = None
    webhookTimestamp: int | None = None
