"""The World as a Linear workspace: teams with keys, users, workflow states, cycles,
labels, projects and issues, as the plain dicts the simulated GraphQL API serves.

Field names are Linear's. Facts Linear has and the World does not (priority,
estimate, the started/triage/backlog split of open issues) are derived from each
issue's id, so they are stable from one request to the next. The workspace
follows the World: `refresh()` re-renders what changed since it last looked, and
gives an issue whose rendering changed without the World saying so (its parent
was deleted) a new `updatedAt`, as Linear would.

Issues are numbered per team (`PAY-1`, `PAY-2`...) in creation order, and keep
their number. A deleted World issue stays as a trashed Linear issue, and one moved
away to another repository as an archived one; closed issues are auto-archived a
year after they closed (Linear's team setting `autoArchivePeriod`, in months).
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connectors.sim.world import Issue, RoadmapItem, World

Node = dict[str, Any]

PUBLIC_WEB = "https://linear.app"
AUTO_ARCHIVE_MONTHS = 12
_NAMESPACE = uuid.UUID("5b0c8c2e-2f0d-4a51-9b54-1b0a6c9f2e11")

PRIORITY_LABELS: dict[int, str] = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
# (name, type, color) of each team's workflow states, in Linear's default order.
WORKFLOW_STATES: tuple[tuple[str, str, str], ...] = (
    ("Triage", "triage", "#FC7840"),
    ("Backlog", "backlog", "#bec2c8"),
    ("Todo", "unstarted", "#e2e2e2"),
    ("In Progress", "started", "#f2c94c"),
    ("In Review", "started", "#0f783c"),
    ("Done", "completed", "#5e6ad2"),
    ("Canceled", "canceled", "#95a2b3"),
)
# (name, type, color) of the workspace's project statuses.
PROJECT_STATUSES: tuple[tuple[str, str, str], ...] = (
    ("Backlog", "backlog", "#bec2c8"),
    ("Planned", "planned", "#e2e2e2"),
    ("In Progress", "started", "#f2c94c"),
    ("Completed", "completed", "#5e6ad2"),
    ("Canceled", "canceled", "#95a2b3"),
)
ROADMAP_STATUS = {"planned": "Planned", "in_progress": "In Progress", "done": "Completed"}
_STARTED = ("started", "completed")
ESTIMATES = (None, 1.0, 2.0, 3.0, 5.0, 8.0)


def iso(moment: datetime) -> str:
    """Linear's DateTime: UTC with milliseconds, `2023-04-11T09:59:47.094Z`."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def stable_id(*parts: object) -> str:
    """A UUID, as Linear's ids are, that is the same for the same World fact."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _roll(issue_id: int, what: str, sides: int) -> int:
    return zlib.crc32(f"{issue_id}:{what}".encode()) % sides


def team_key(world_team: str, taken: set[str]) -> str:
    """payments → PAY: the first letters, longer when another team has them already."""
    letters = "".join(c for c in world_team.upper() if c.isalnum())
    for length in range(3, len(letters) + 1):
        if letters[:length] not in taken:
            return letters[:length]
    suffix = 2
    while f"{letters[:3]}{suffix}" in taken:
        suffix += 1
    return f"{letters[:3]}{suffix}"


def team_keys(world: World) -> dict[str, str]:
    """Each World team's Linear key, in the World's order."""
    keys: dict[str, str] = {}
    for name in world.teams:
        keys[name] = team_key(name, set(keys.values()))
    return keys


@dataclass
class _Rendered:
    version: tuple[int, int]  # (World issue id, its version)
    node: Node


@dataclass
class Workspace:
    """A Linear workspace rendered from `world`. See the module docstring."""

    world: World
    web_url: str = PUBLIC_WEB
    teams: dict[str, Node] = field(default_factory=dict)  # by Linear team key
    users: dict[str, Node] = field(default_factory=dict)  # by World login
    projects: dict[str, Node] = field(default_factory=dict)  # by World roadmap key
    initiatives: dict[str, Node] = field(default_factory=dict)  # by quarter, "2026 Q1"
    issues: dict[str, Node] = field(default_factory=dict)  # by Linear id
    statuses: dict[str, Node] = field(default_factory=dict)  # project statuses by name
    changed_at: int = 0  # bumped whenever any node changes
    _key_of_team: dict[str, str] = field(default_factory=dict)  # World team → Linear key
    _numbers: dict[tuple[str, int], int] = field(default_factory=dict)  # (repo, n) → number
    _next_number: dict[str, int] = field(default_factory=dict)
    _rendered: dict[tuple[str, int], _Rendered] = field(default_factory=dict)
    _seen_clock: datetime | None = None

    def __post_init__(self) -> None:
        self._render_users()
        self._render_teams()
        self._render_statuses()
        self._render_projects()
        self._render_initiatives()
        self.refresh()

    @property
    def slug(self) -> str:
        return self.world.org

    @property
    def now(self) -> datetime:
        return self.world.clock

    # -- the parts that do not change

    def _render_users(self) -> None:
        created = iso(self.world.clock - timedelta(days=900))
        for login, person in self.world.people.items():
            self.users[login] = {
                "id": stable_id("user", login),
                "name": person.name,
                "displayName": login,
                "email": f"{login}@{self.world.org}.example",
                "active": True,
                "archivedAt": None,
                "createdAt": created,
                "updatedAt": created,
                "url": f"{self.web_url}/{self.slug}/profiles/{login}",
            }

    def _render_teams(self) -> None:
        created = iso(self.world.clock - timedelta(days=900))
        self._key_of_team = team_keys(self.world)
        for name, team in self.world.teams.items():
            key = self._key_of_team[name]
            node: Node = {
                "id": stable_id("team", name),
                "key": key,
                "name": team.name,
                "displayName": team.name,
                "archivedAt": None,
                "createdAt": created,
                "updatedAt": created,
            }
            node["states"] = [self._state(node, i, *spec) for i, spec in enumerate(WORKFLOW_STATES)]
            node["cycles"] = self._cycles(name, node)
            node["labels"] = self._labels(name)
            self.teams[key] = node
            self._next_number[key] = 1

    def _state(self, team: Node, position: int, name: str, kind: str, color: str) -> Node:
        return {
            "id": stable_id("state", team["key"], name),
            "name": name,
            "type": kind,
            "color": color,
            "position": float(position),
            "team": team,
            "archivedAt": None,
            "createdAt": team["createdAt"],
            "updatedAt": team["createdAt"],
        }

    def _cycles(self, world_team: str, team: Node) -> dict[str, Node]:
        """One cycle per milestone title of the team's repositories, numbered by date."""
        due: dict[str, datetime] = {}
        for repo in self.world.repos.values():
            if repo.team == world_team:
                for milestone in repo.milestones.values():
                    if milestone.due_on is not None:
                        due.setdefault(milestone.title, milestone.due_on)
        cycles: dict[str, Node] = {}
        for number, (title, ends) in enumerate(sorted(due.items(), key=lambda kv: kv[1]), 1):
            starts = ends - timedelta(days=91)
            cycles[title] = {
                "id": stable_id("cycle", team["key"], title),
                "number": float(number),
                "name": title,
                "startsAt": iso(starts),
                "endsAt": iso(ends),
                "completedAt": iso(ends) if ends < self.world.clock else None,
                "team": team,
                "archivedAt": None,
                "createdAt": iso(starts - timedelta(days=7)),
                "updatedAt": iso(starts - timedelta(days=7)),
            }
        return cycles

    def _labels(self, world_team: str) -> dict[str, Node]:
        labels: dict[str, Node] = {}
        for repo in self.world.repos.values():
            if repo.team != world_team:
                continue
            for label in repo.labels.values():
                stamp = iso(repo.created_at)
                labels.setdefault(label.name, {
                    "id": stable_id("label", world_team, label.name),
                    "name": label.name,
                    "color": f"#{label.color}",
                    "archivedAt": None,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                })  # fmt: skip
        return labels

    def _render_statuses(self) -> None:
        created = iso(self.world.clock - timedelta(days=900))
        for position, (name, kind, color) in enumerate(PROJECT_STATUSES):
            self.statuses[name] = {
                "id": stable_id("project-status", name),
                "name": name,
                "type": kind,
                "color": color,
                "position": float(position),
                "archivedAt": None,
                "createdAt": created,
                "updatedAt": created,
            }

    def _render_projects(self) -> None:
        for key, item in self.world.roadmap.items():
            self.projects[key] = self._project(key, item)

    def _project(self, key: str, item: RoadmapItem) -> Node:
        status = self.statuses[ROADMAP_STATUS[item.status]]
        start = item.target_date - timedelta(days=90)
        created = min(_midnight(start) - timedelta(days=30), self.world.clock - timedelta(days=30))
        updated = min(_midnight(start), self.world.clock - timedelta(days=1))
        owner = self.world.teams[item.team]
        slug = stable_id("project-slug", key)[:12].replace("-", "")
        return {
            "id": stable_id("project", key),
            "name": item.title,
            "slugId": slug,
            "description": f"{item.title}, planned by {owner.name}",
            "content": f"# {item.title}\n\nRoadmap item {key}.",
            "state": status["type"],
            "status": status,
            "priority": 0,
            "priorityLabel": PRIORITY_LABELS[0],
            "progress": 1.0 if item.status == "done" else 0.0,
            "startDate": start.isoformat(),
            "targetDate": item.target_date.isoformat(),
            "startedAt": iso(_midnight(start)) if item.status != "planned" else None,
            "completedAt": iso(_midnight(item.target_date)) if item.status == "done" else None,
            "canceledAt": None,
            "lead": self.users[owner.members[0]],
            "teams": [self.teams[self._key_of_team[item.team]]],
            "archivedAt": None,
            "trashed": None,
            "createdAt": iso(created),
            "updatedAt": iso(max(created, updated)),
            "url": f"{self.web_url}/{self.slug}/project/{slug}",
        }

    def _render_initiatives(self) -> None:
        """One initiative per quarter: the projects due in it, whichever teams own them."""
        for key, item in sorted(self.world.roadmap.items(), key=lambda kv: kv[1].target_date):
            quarter = f"{item.target_date.year} Q{(item.target_date.month - 1) // 3 + 1}"
            initiative = self.initiatives.get(quarter)
            if initiative is None:
                initiative = self.initiatives[quarter] = self._initiative(quarter, item)
            initiative["projects"].append(self.projects[key])
            self.projects[key]["initiatives"] = [initiative]

    def _initiative(self, quarter: str, first: RoadmapItem) -> Node:
        ends = first.target_date
        starts = ends - timedelta(days=91)
        today = self.world.clock.date()
        status = "Completed" if ends < today else "Active" if starts <= today else "Planned"
        created = min(_midnight(starts) - timedelta(days=30), self.world.clock - timedelta(days=30))
        owner = self.world.teams[first.team].members[0]
        return {
            "id": stable_id("initiative", quarter),
            "name": f"{quarter} goals",
            "description": f"What the organisation ships in {quarter}",
            "status": status,
            "targetDate": ends.isoformat(),
            "startedAt": iso(_midnight(starts)) if status != "Planned" else None,
            "completedAt": iso(_midnight(ends)) if status == "Completed" else None,
            "owner": self.users[owner],
            "projects": [],
            "archivedAt": None,
            "trashed": None,
            "createdAt": iso(created),
            "updatedAt": iso(created),
            "url": f"{self.web_url}/{self.slug}/initiative/{stable_id('initiative', quarter)[:12]}",
        }

    # -- issues, which follow the World

    def refresh(self) -> None:
        """Bring the issues (and the teams of each project) up to the World's clock."""
        if self._seen_clock == self.world.clock:
            return
        self._seen_clock = self.world.clock
        changed = False
        for issue in sorted(self.world.all_issues(), key=lambda i: i.id):
            if not issue.is_pull_request:
                changed |= self._follow(issue)
        changed |= self._follow_gone()
        changed |= self._auto_archive()
        if changed:
            self._project_teams()
            self.changed_at += 1

    def team_of(self, issue: Issue) -> Node:
        return self.teams[self._key_of_team[self.world.repo(issue.repo).team]]

    def _follow(self, issue: Issue) -> bool:
        where = (issue.repo, issue.number)
        known = self._rendered.get(where)
        version = (issue.id, issue.version)
        if known is not None and known.version == version:
            return False
        node = self._issue(issue)
        if known is not None and known.node["id"] == node["id"]:
            node["updatedAt"] = self._bumped(known.node, node)
        self._rendered[where] = _Rendered(version, node)
        self.issues[node["id"]] = node
        return True

    def _bumped(self, before: Node, after: Node) -> str:
        """updatedAt of a re-rendered issue: the World's, or now if only we saw it change."""
        if _signature(before) != _signature(after) and after["updatedAt"] <= before["updatedAt"]:
            return iso(self.world.clock)
        return str(after["updatedAt"])

    def _number(self, issue: Issue, team: Node) -> int:
        where = (issue.repo, issue.number)
        if where not in self._numbers:
            self._numbers[where] = self._next_number[team["key"]]
            self._next_number[team["key"]] += 1
        return self._numbers[where]

    def render(self, issue: Issue) -> Node:
        """A World issue (a live one, or the snapshot a Change holds) as a Linear issue."""
        return self._issue(issue)

    def _issue(self, issue: Issue) -> Node:
        team = self.team_of(issue)
        number = self._number(issue, team)
        identifier = f"{team['key']}-{number}"
        state = self._issue_state(issue, team)
        priority = 2 if "priority: high" in issue.labels else _roll(issue.id, "priority", 5)
        milestone = self.world.repo(issue.repo).milestones.get(issue.milestone or 0)
        project = self._project_of(issue)
        labels = [team["labels"][name] for name in issue.labels if name in team["labels"]]
        assignee = self.users.get(issue.assignees[0]) if issue.assignees else None
        parent = self.world.repo(issue.repo).issues.get(issue.parent or 0)
        due = milestone.due_on if milestone else None
        closed = iso(issue.closed_at) if issue.closed_at else None
        return {
            "id": _issue_id(issue),
            "identifier": identifier,
            "number": float(number),
            "title": issue.title,
            "description": issue.body,
            "priority": float(priority),
            "priorityLabel": PRIORITY_LABELS[priority],
            "estimate": ESTIMATES[_roll(issue.id, "estimate", len(ESTIMATES))],
            "dueDate": due.date().isoformat() if due else None,
            "state": state,
            "team": team,
            "assignee": assignee,
            "creator": self.users.get(issue.author),
            "labels": labels,
            "labelIds": [label["id"] for label in labels],
            "parentId": _issue_id(parent) if parent else None,
            "cycle": team["cycles"].get(milestone.title) if milestone else None,
            "project": project,
            "createdAt": iso(issue.created_at),
            "updatedAt": iso(issue.updated_at),
            "startedAt": iso(issue.created_at) if state["type"] in _STARTED else None,
            "completedAt": closed if state["type"] == "completed" else None,
            "canceledAt": closed if state["type"] == "canceled" else None,
            "archivedAt": None,
            "trashed": None,
            "url": f"{self.web_url}/{self.slug}/issue/{identifier}/{_slug(issue.title)}",
        }  # fmt: skip

    def _issue_state(self, issue: Issue, team: Node) -> Node:
        states: dict[str, Node] = {state["name"]: state for state in team["states"]}
        if issue.state == "closed":
            return states["Canceled" if issue.state_reason == "not_planned" else "Done"]
        if issue.assignees:
            return states["In Review" if _roll(issue.id, "review", 4) == 0 else "In Progress"]
        return states[("Triage", "Backlog", "Todo", "Todo")[_roll(issue.id, "open", 4)]]

    def _project_of(self, issue: Issue) -> Node | None:
        """The project the issue delivers: its own roadmap item, or its parent's."""
        key = issue.roadmap_key
        parent = self.world.repo(issue.repo).issues.get(issue.parent or 0)
        if key is None and parent is not None:
            key = parent.roadmap_key
        return self.projects.get(key) if key else None

    def _follow_gone(self) -> bool:
        """A deleted World issue is trashed in Linear; one moved away is archived."""
        changed = False
        for where, rendered in self._rendered.items():
            node = rendered.node
            tombstone = self.world.tombstone(*where)
            if tombstone is None or node["archivedAt"] is not None:
                continue
            gone = dict(node, archivedAt=iso(tombstone.at), updatedAt=iso(tombstone.at))
            gone["trashed"] = True if tombstone.kind == "deleted" else None
            rendered.node = self.issues[node["id"]] = gone
            changed = True
        return changed

    def _auto_archive(self) -> bool:
        changed = False
        for rendered in self._rendered.values():
            node = rendered.node
            closed = node["completedAt"] or node["canceledAt"]
            if node["archivedAt"] is not None or closed is None:
                continue
            archived = _months_later(datetime.fromisoformat(closed), AUTO_ARCHIVE_MONTHS)
            if archived <= self.world.clock:
                stamp = iso(archived)
                node["archivedAt"] = stamp
                node["updatedAt"] = max(node["updatedAt"], stamp)
                changed = True
        return changed

    def _project_teams(self) -> None:
        """A project's teams: its owner's and those of every issue in it."""
        teams: dict[str, dict[str, Node]] = {key: {} for key in self.projects}
        by_id = {node["id"]: key for key, node in self.projects.items()}
        for node in self.live_issues():
            if node["project"] is not None:
                teams[by_id[node["project"]["id"]]][node["team"]["key"]] = node["team"]
        for key, project in self.projects.items():
            owner = project["teams"][0]
            others = sorted(k for k in teams[key] if k != owner["key"])
            project["teams"] = [owner, *(teams[key][k] for k in others)]

    def live_issues(self) -> Iterator[Node]:
        return (node for node in self.issues.values() if node["archivedAt"] is None)

    def issue(self, issue_id: str) -> Node | None:
        return self.issues.get(issue_id)


def _issue_id(issue: Issue) -> str:
    return stable_id("issue", issue.repo, issue.number, issue.id)


def _signature(node: Node) -> dict[str, object]:
    """What an issue shows, related nodes by id (they refer back to each other)."""
    shown: dict[str, object] = {}
    for name, value in node.items():
        if isinstance(value, dict):
            value = value["id"]
        elif isinstance(value, list):
            value = [v["id"] if isinstance(v, dict) else v for v in value]
        if name != "updatedAt":
            shown[name] = value
    return shown


def _slug(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)[:60]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _months_later(moment: datetime, months: int) -> datetime:
    return moment + timedelta(days=round(months * 30.44))
