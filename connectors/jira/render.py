"""How the simulated Jira shows the World: projects, issues, ideas and changelogs.

Vendor-neutral facts become Jira ones here, deterministically:
- each team is a Jira Software project (payments → PAY); its repositories'
  issues are the project's issues (pull requests are not Jira issues), numbered
  `(number - 1) * repos + repo index + 1`, so a one-repository team keeps its numbers;
- open and unassigned → To Do, open and assigned → In Progress, closed → Done
  with resolution Done, or Won't Do when the World closed it as not planned;
- the milestone is the sprint (`PAY 2025 Q3`) and its due date the due date;
  story points are drawn from the issue id (epics have none);
- the roadmap is a Jira Product Discovery project (IDEA): roadmap item RM-n is
  idea IDEA-n with a Target date, linked by "Polaris work item link" to the
  epics that deliver it (Issue.roadmap_key).
`JiraFacts` is what a changelog tracks; `JiraRenderer` turns facts into JSON.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sim.world import Issue, RoadmapItem, World

Json = dict[str, Any]

PROJECT_KEYS: dict[str, str] = {
    "payments": "PAY", "web": "WEB", "platform": "PLAT", "mobile": "MOB", "data": "DATA",
    "identity": "IDN", "search": "SRCH", "growth": "GROW", "infra": "INFRA", "billing": "BILL",
    "notifications": "NOTIF", "analytics": "ANLY",
}  # fmt: skip
IDEA_PROJECT = "IDEA"
IDEA_ID_BASE = 900_000
STORY_POINTS = (1.0, 2.0, 3.0, 5.0, 8.0, 13.0)
# (name, id, category key, category id, category name)
STATUSES: dict[str, tuple[str, str, str, int, str]] = {
    "To Do": ("To Do", "10000", "new", 2, "To Do"),
    "In Progress": ("In Progress", "3", "indeterminate", 4, "In Progress"),
    "Done": ("Done", "10001", "done", 3, "Done"),
    "Parking lot": ("Parking lot", "10100", "new", 2, "To Do"),
    "Discovery": ("Discovery", "10101", "indeterminate", 4, "In Progress"),
    "Delivery": ("Delivery", "10102", "indeterminate", 4, "In Progress"),
}
IDEA_STATUS = {"planned": "Parking lot", "in_progress": "Delivery", "done": "Done"}
RESOLUTIONS = {"Done": "10000", "Won't Do": "10001"}
ISSUE_TYPES: dict[str, tuple[str, int]] = {  # name → (id, hierarchy level)
    "Task": ("10001", 0), "Bug": ("10002", 0), "Story": ("10003", 0), "Epic": ("10000", 1),
    "Idea": ("10200", 0),
}  # fmt: skip
WORLD_TYPES = {"Task": "Task", "Bug": "Bug", "Feature": "Story", "Epic": "Epic"}
DELIVERY_LINK = {
    "id": "10300",
    "name": "Polaris work item link",
    "inward": "is implemented by",
    "outward": "implements",
}


@dataclass(frozen=True)
class CustomFields:
    """Custom field ids of the simulated site, as GET /rest/api/3/field lists them."""

    story_points: str = "customfield_10016"
    story_points_name: str = "Story point estimate"
    sprint: str = "customfield_10020"
    start_date: str = "customfield_10015"
    target_date: str = "customfield_10402"


@dataclass(frozen=True)
class JiraFacts:
    """What Jira keeps a changelog of, for one issue, at one moment."""

    summary: str
    status: str
    resolution: str | None
    assignee: str | None  # login
    labels: tuple[str, ...]
    points: float | None
    sprint: str | None
    duedate: str | None
    parent: int | None  # world id of the parent issue


def project_key(team: str) -> str:
    return PROJECT_KEYS.get(team) or team.upper().replace("-", "")[:5]


def jira_label(name: str) -> str:
    # Jira labels hold no spaces.
    return name.replace(": ", ":").replace(" ", "-")


def points_of(issue: Issue) -> float | None:
    if issue.issue_type == "Epic":
        return None
    roll = zlib.crc32(f"points:{issue.id}".encode()) % (len(STORY_POINTS) + 1)
    return STORY_POINTS[roll] if roll < len(STORY_POINTS) else None


def status_of(issue: Issue) -> tuple[str, str | None]:
    if issue.state == "closed":
        return "Done", "Won't Do" if issue.state_reason == "not_planned" else "Done"
    return ("In Progress" if issue.assignees else "To Do"), None


class JiraProjects:
    """Where each World issue lives in Jira, and back."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.team_repos: dict[str, list[str]] = {}
        for repo in world.repos.values():
            self.team_repos.setdefault(repo.team, []).append(repo.full_name)
        self.by_key = {project_key(team): team for team in self.team_repos}

    def project_keys(self) -> list[str]:
        return [*self.by_key, IDEA_PROJECT]

    def issue_key(self, issue: Issue) -> str:
        repos = self.team_repos[self.world.repo(issue.repo).team]
        number = (issue.number - 1) * len(repos) + repos.index(issue.repo) + 1
        return f"{project_key(self.world.repo(issue.repo).team)}-{number}"

    def locate(self, key: str) -> tuple[str, int] | None:
        """(repo, number) of a delivery issue key; None for other keys."""
        project, _, digits = key.upper().rpartition("-")
        team = self.by_key.get(project)
        if team is None or not digits.isdigit() or int(digits) < 1:
            return None
        repos = self.team_repos[team]
        index, slot = divmod(int(digits) - 1, len(repos))
        return repos[slot], index + 1


def facts_of(world: World, issue: Issue, projects: JiraProjects) -> JiraFacts:
    status, resolution = status_of(issue)
    repo = world.repo(issue.repo)
    milestone = repo.milestones.get(issue.milestone) if issue.milestone else None
    parent = repo.issues.get(issue.parent) if issue.parent else None
    return JiraFacts(
        summary=issue.title,
        status=status,
        resolution=resolution,
        assignee=issue.assignees[0] if issue.assignees else None,
        labels=tuple(jira_label(name) for name in issue.labels),
        points=points_of(issue),
        sprint=f"{project_key(repo.team)} {milestone.title}" if milestone else None,
        duedate=milestone.due_on.date().isoformat() if milestone and milestone.due_on else None,
        parent=parent.id if parent else None,
    )


def jira_time(moment: datetime, zone: ZoneInfo) -> str:
    """`2024-01-15T10:30:12.000+0100`: milliseconds, numeric offset without colon."""
    local = moment.astimezone(zone)
    minutes = int((local.utcoffset() or timedelta(0)).total_seconds()) // 60
    sign, minutes = ("-", -minutes) if minutes < 0 else ("+", minutes)
    # Formatted by hand: strftime is the simulator's slowest step at scale.
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:"
        f"{local.minute:02d}:{local.second:02d}.{local.microsecond // 1000:03d}"
        f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    )


def idea_id(item: RoadmapItem) -> int:
    return IDEA_ID_BASE + int(item.key.rsplit("-", 1)[1])


def idea_times(item: RoadmapItem, epoch: datetime) -> tuple[datetime, datetime]:
    """Created and updated of an idea: fixed, before the World's clock starts."""
    spread = zlib.crc32(item.key.encode()) % (60 * 86_400)
    created = epoch - timedelta(days=200, seconds=spread)
    return created, created + timedelta(days=30, seconds=spread % 86_400)


def adf(text: str | None) -> Json | None:
    """A description as the Atlassian Document Format v3 returns: one paragraph a line."""
    if text is None:
        return None
    blocks = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        if line
        else {"type": "paragraph", "content": []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": blocks}


def interval(day: date) -> str:
    """A Product Discovery date field value: a JSON string of an interval."""
    return f'{{"start":"{day.isoformat()}","end":"{day.isoformat()}"}}'


def at_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
