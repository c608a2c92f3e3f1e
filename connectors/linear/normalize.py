"""Linear issue and project JSON → WorkItem and Link. Pure functions, driven by the
mapping tables below.

Identity: the external id is Linear's UUID (it survives a move to another team,
which changes the identifier), the key the identifier `ENG-42`.
"""

from __future__ import annotations

from typing import Any

from connectors.base.records import Link, StatusCategory, WorkItem
from connectors.linear.payloads import Initiative, Issue, Project

# Workflow state type → status category (Linear's own types; the name is the status).
STATUS_CATEGORY: dict[str, StatusCategory] = {
    "triage": "todo",
    "backlog": "todo",
    "unstarted": "todo",
    "started": "in_progress",
    "completed": "done",
    "canceled": "cancelled",
    "duplicate": "cancelled",
}
# Project status type → status category.
PROJECT_STATUS_CATEGORY: dict[str, StatusCategory] = {
    "backlog": "todo",
    "planned": "todo",
    "started": "in_progress",
    "paused": "in_progress",
    "completed": "done",
    "canceled": "cancelled",
}
# Initiative status → status category.
INITIATIVE_STATUS_CATEGORY: dict[str, StatusCategory] = {
    "Proposed": "todo",
    "Planned": "todo",
    "Active": "in_progress",
    "Completed": "done",
    "Canceled": "cancelled",
}
PRIORITY_LABELS: dict[int, str] = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
PROJECT_LINK = "contains"  # a project contains the issues that deliver it (and an
# initiative the projects that deliver it)


def issue_category(state_type: str) -> StatusCategory:
    return STATUS_CATEGORY.get(state_type, "todo")  # a type Linear adds later: not done yet


def issue_to_item(raw: dict[str, Any], *, url: str | None = None) -> WorkItem:
    """One issue, from the API or a webhook's `data` (whose URL is beside it: `url`)."""
    issue = Issue.model_validate(raw)
    return WorkItem(
        external_id=issue.id,
        key=issue.key,
        scope=issue.team.key,
        url=issue.url or url,
        title=issue.title,
        description=issue.description,
        status=issue.state.name,
        status_category=issue_category(issue.state.type),
        team=issue.team.key,
        project=issue.project.name if issue.project else None,
        assignees=(issue.assignee.name,) if issue.assignee else (),
        labels=tuple(label.name for label in issue.labels),
        estimate=issue.estimate,
        priority=PRIORITY_LABELS.get(int(issue.priority)),
        due_date=issue.dueDate,
        parent_external_id=issue.parent_id,
        sprint=_sprint(issue),
        created_at=issue.createdAt,
        updated_at=issue.updatedAt,
        closed_at=issue.completedAt or issue.canceledAt,
        source_updated_at=issue.updatedAt,
        raw=raw,
    )


def _sprint(issue: Issue) -> str | None:
    """The issue's cycle as people name it: its name, or `Cycle 7` for an unnamed one."""
    if issue.cycle is None:
        return None
    return issue.cycle.name or f"Cycle {int(issue.cycle.number)}"


def project_links(raw: dict[str, Any]) -> tuple[Link, ...]:
    """The issue states its project: a link from the project to the issue."""
    issue = Issue.model_validate(raw)
    project = issue.project_id
    if project is None:
        return ()
    return (Link(source_external_id=project, target_external_id=issue.id,
                 kind=PROJECT_LINK, stated_by=issue.id),)  # fmt: skip


def project_to_item(raw: dict[str, Any], *, scope: str | None) -> WorkItem:
    """A project as a roadmap item; `scope` is the connection's team it was listed under."""
    project = Project.model_validate(raw)
    status_type = project.status.type if project.status else (project.state or "planned")
    status = project.status.name if project.status else status_type
    return WorkItem(
        external_id=project.id,
        key=project.name,
        scope=scope,
        url=project.url,
        kind="roadmap_item",
        title=project.name,
        description=project.description,
        status=status,
        status_category=PROJECT_STATUS_CATEGORY.get(status_type, "todo"),
        team=project.teams[0].key if project.teams else None,
        assignees=(project.lead.name,) if project.lead else (),
        start_date=project.startDate,
        due_date=project.targetDate,
        created_at=project.createdAt,
        updated_at=project.updatedAt,
        closed_at=project.completedAt or project.canceledAt,
        source_updated_at=project.updatedAt,
        raw=raw,
        # A project states which initiatives it belongs to; its issues state theirs.
        states_links="initiatives" in raw,
    )


def initiative_links(raw: dict[str, Any]) -> tuple[Link, ...]:
    """The project states its initiatives: a link from each initiative to the project."""
    project = Project.model_validate(raw)
    return tuple(
        Link(source_external_id=initiative.id, target_external_id=project.id,
             kind=PROJECT_LINK, stated_by=project.id)
        for initiative in project.initiatives
    )  # fmt: skip


def initiative_to_item(raw: dict[str, Any], *, scope: str | None) -> WorkItem:
    """An initiative (a goal grouping projects of any team) as a roadmap item."""
    initiative = Initiative.model_validate(raw)
    return WorkItem(
        external_id=initiative.id,
        key=initiative.name,
        scope=scope,
        url=initiative.url,
        kind="roadmap_item",
        title=initiative.name,
        description=initiative.description,
        status=initiative.status,
        status_category=INITIATIVE_STATUS_CATEGORY.get(initiative.status, "todo"),
        assignees=(initiative.owner.name,) if initiative.owner else (),
        due_date=initiative.targetDate,
        created_at=initiative.createdAt,
        updated_at=initiative.updatedAt,
        closed_at=initiative.completedAt,
        source_updated_at=initiative.updatedAt,
        raw=raw,
        states_links=False,  # its projects state that they belong to it
    )


def is_gone(raw: dict[str, Any]) -> bool:
    """Archived or trashed: Linear keeps it (with includeArchived), we tombstone it."""
    return raw.get("archivedAt") is not None or bool(raw.get("trashed"))
