"""One generated software organisation, shared by every vendor simulator.

A World holds vendor-neutral facts: teams, people, roadmap items, repositories
(projects) with their labels, milestones, issues and pull requests, and a clock.
Each vendor simulator (connectors/<vendor>/sim.py) renders these facts in its
vendor's JSON; nothing here knows a vendor's wire format.

Everything is deterministic: one seeded `random.Random` per world, never the
global one, and a world clock that starts at its epoch (`EPOCH` unless told: the
demo starts it now) and only moves when the world changes (`advance`, or a
direct mutator, which ticks it one second).

    world = World.generate(seed=7, size="medium")
    changes = world.advance(50)          # churn: edits, closes, creates, deletes, transfers
    world.edit_issue("acme/payments-api", 12, title="Renamed")
    world.delete_issue("acme/payments-api", 13)
    world.transfer_issue("acme/payments-api", 14, "acme/web-app")

Every mutation bumps the issue's `updated_at` to the clock and returns the
`Change` records it made (one per observable event, as a tracker would send them
as webhooks). Deleted and transferred issues leave a `Tombstone` in their repo.
"""

from __future__ import annotations

import copy
import enum
import random
from bisect import insort
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

Size = Literal["small", "medium", "large"]
IssueState = Literal["open", "closed"]
StateReason = Literal["completed", "not_planned", "reopened"]
ChangeKind = Literal[
    "created",
    "edited",
    "closed",
    "reopened",
    "labeled",
    "unlabeled",
    "assigned",
    "unassigned",
    "milestoned",
    "demilestoned",
    "typed",
    "untyped",
    "parented",
    "unparented",
    "commented",
    "deleted",
    "transferred",
]

EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
# Roadmap quarters and milestones are placed relative to the epoch (these are
# 2025-03-31 and 2025-01-31 08:00 for the default one).
FIRST_QUARTER_END_BEFORE_EPOCH = timedelta(days=280)
FIRST_MILESTONE_BEFORE_EPOCH = timedelta(days=339, hours=1)
"""Where every world clock starts. Generated history lies before it."""

HISTORY = timedelta(days=540)
EPIC_LABEL = "epic"
REFERENCES = ("Part of ", "Delivers roadmap item ")  # how bodies state links


@dataclass(frozen=True, slots=True)
class SizeSpec:
    teams: int
    repos_per_team: int
    items: int  # issues and pull requests together


SIZES: dict[Size, SizeSpec] = {
    "small": SizeSpec(teams=6, repos_per_team=1, items=300),
    "medium": SizeSpec(teams=8, repos_per_team=3, items=5_000),
    "large": SizeSpec(teams=12, repos_per_team=5, items=50_000),
}


# --- the facts ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    login: str
    id: int
    name: str
    team: str


@dataclass(frozen=True, slots=True)
class Team:
    key: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoadmapItem:
    """A product roadmap entry that epics deliver (for the roadmap-tool vendors)."""

    key: str
    title: str
    team: str
    target_date: date
    status: Literal["planned", "in_progress", "done"]


@dataclass(frozen=True, slots=True)
class IssueType:
    id: int
    name: str
    description: str
    color: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Label:
    id: int
    name: str
    color: str
    description: str | None
    default: bool


@dataclass(slots=True)
class Milestone:
    id: int
    number: int
    title: str
    description: str | None
    due_on: datetime | None
    state: IssueState
    creator: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    open_issues: int = 0
    closed_issues: int = 0
    version: int = 0  # bumped whenever anything rendered from it changes


@dataclass(slots=True)
class Issue:
    """An issue or pull request (`is_pull_request`); they share one numbering."""

    repo: str  # owner/name
    number: int
    id: int  # unique across the world, increasing with creation
    title: str
    body: str | None
    author: str
    created_at: datetime
    updated_at: datetime
    state: IssueState = "open"
    state_reason: StateReason | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    milestone: int | None = None
    parent: int | None = None  # number of the parent issue in the same repo
    issue_type: str | None = None  # a World.issue_types key
    comments: int = 0
    locked: bool = False
    is_pull_request: bool = False
    draft: bool = False
    merged_at: datetime | None = None
    # Ground truth of what the body says, for link-resolution tests.
    part_of: str | None = None  # "owner/repo#N" the body says this is part of
    roadmap_key: str | None = None  # the RoadmapItem the body says this delivers
    version: int = 0  # bumped whenever anything rendered from it changes

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What is left of an issue that was deleted or transferred away."""

    kind: Literal["deleted", "transferred"]
    at: datetime
    moved_to: tuple[str, int] | None = None  # (repo, number) after a transfer


@dataclass(slots=True)
class Repo:
    id: int
    owner: str
    name: str
    team: str
    description: str
    created_at: datetime
    labels: dict[str, Label]
    milestones: dict[int, Milestone]
    issues: dict[int, Issue] = field(default_factory=dict)
    gone: dict[int, Tombstone] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)  # parent -> sub-issues
    next_number: int = 1
    version: int = 0  # bumped on every change to any of its issues

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True, slots=True)
class Change:
    """One observable event, as a tracker would report it in a webhook.

    `issue` is a snapshot taken right after the change (right before, for
    `deleted`). `previous` holds the old values of edited fields. For a
    transfer, the old issue's `transferred` change has `counterpart` = the new
    issue, and the new issue's `created` change has `counterpart` = the old one.
    """

    seq: int
    at: datetime
    kind: ChangeKind
    issue: Issue
    actor: str
    previous: dict[str, str | None] = field(default_factory=dict)
    label: str | None = None
    assignee: str | None = None
    milestone: int | None = None
    counterpart: Issue | None = None

    @property
    def repo(self) -> str:
        return self.issue.repo

    @property
    def number(self) -> int:
        return self.issue.number

    def as_json(self) -> dict[str, Any]:
        """A vendor-neutral JSON summary (for the simulator's control endpoints)."""
        return {
            "seq": self.seq,
            "at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "kind": self.kind,
            "repo": self.repo,
            "number": self.number,
            "actor": self.actor,
            "previous": self.previous,
            "label": self.label,
            "assignee": self.assignee,
            "milestone": self.milestone,
            "counterpart": self.counterpart.key if self.counterpart else None,
        }


class _Unset(enum.Enum):
    TOKEN = 0


UNSET = _Unset.TOKEN
"""Default of `World.edit_issue` fields: leave this field as it is."""


# --- vocabulary -----------------------------------------------------------------

TEAMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "payments",
        "Payments",
        ("checkout", "refunds", "invoices", "ledger", "payouts", "card vault"),
    ),
    ("web", "Web", ("navbar", "settings page", "dashboard", "onboarding flow", "search box")),
    ("platform", "Platform", ("deploy pipeline", "feature flags", "config service", "job queue")),
    ("mobile", "Mobile", ("iOS app", "Android app", "push notifications", "offline sync")),
    ("data", "Data", ("ETL jobs", "warehouse", "event schema", "metrics pipeline", "dbt models")),
    ("identity", "Identity", ("SSO", "SAML login", "password reset", "MFA", "session store")),
    ("search", "Search", ("indexer", "ranking", "autocomplete", "synonyms", "query parser")),
    ("growth", "Growth", ("referrals", "A/B tests", "pricing page", "signup funnel")),
    ("infra", "Infrastructure", ("Terraform modules", "Kubernetes upgrade", "CDN", "backups")),
    ("billing", "Billing", ("subscriptions", "proration", "tax engine", "usage metering")),
    ("notifications", "Notifications", ("email templates", "SMS provider", "in-app inbox")),
    ("analytics", "Analytics", ("dashboards", "CSV exports", "funnels", "retention report")),
)
REPO_SUFFIXES = ("api", "app", "worker", "sdk", "service", "docs")
FIRST_NAMES = (
    "ada", "bo", "carla", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena",
    "mo", "nia", "omar", "pia", "quinn", "raj", "sara", "tomas", "uma", "vik", "wen", "yusuf",
)  # fmt: skip
LAST_NAMES = (
    "adams", "berg", "chen", "diaz", "eze", "fox", "garcia", "holm", "ito", "jones", "khan",
    "lund", "moreau", "novak", "okafor", "park", "quist", "rossi", "silva", "tan", "ueda",
)  # fmt: skip
PROBLEMS = (
    "timeout", "race condition", "memory leak", "crash", "wrong total", "stale cache",
    "double submit", "broken layout", "slow query", "encoding error",
)  # fmt: skip
FEATURES = (
    "bulk edit", "CSV import", "audit log", "dark mode", "retry button", "webhook support",
    "keyboard shortcuts", "saved filters", "rate limiting", "localization",
)  # fmt: skip
CHORES = ("Upgrade {c} dependencies", "Refactor {c} internals", "Document {c}", "Add tests for {c}")
ROADMAP_THEMES = (
    "Self-serve {c}", "{C} v2", "Faster {c}", "{C} for enterprise", "Reliable {c}",
    "{C} in every region", "Simpler {c}",
)  # fmt: skip
GITHUB_DEFAULT_LABELS: tuple[tuple[str, str, str], ...] = (
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("invalid", "e4e669", "This doesn't seem right"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
)
ISSUE_TYPES: tuple[tuple[str, str, str], ...] = (
    ("Task", "A specific piece of work", "yellow"),
    ("Bug", "An unexpected problem or behavior", "red"),
    ("Feature", "A request, idea, or new functionality", "blue"),
    ("Epic", "A large body of work, split into sub-issues", "purple"),
)


def _ts(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


# --- the world ------------------------------------------------------------------


class World:
    """A generated organisation and its clock. See the module docstring."""

    def __init__(self, *, org: str, seed: int, epoch: datetime = EPOCH) -> None:
        self.org = org
        self.org_id = 0
        self.seed = seed
        self.epoch = epoch  # where the clock starts: the generated history ends here
        self.clock = epoch
        self.teams: dict[str, Team] = {}
        self.people: dict[str, Person] = {}
        self.roadmap: dict[str, RoadmapItem] = {}
        self.issue_types: dict[str, IssueType] = {}
        self.repos: dict[str, Repo] = {}
        self._repos_by_lower: dict[str, Repo] = {}
        self._repos_by_id: dict[int, Repo] = {}
        self._rng = random.Random(seed)  # noqa: S311 (a simulation, not security)
        self._next_id = 3_000_000_000
        self._next_object_id = 9_000_000_000
        self._seq = 0
        # Called with every Change as it is made (vendor simulators keep their own
        # records of it, such as Jira's changelog).
        self.observers: list[Callable[[Change], None]] = []

    # -- construction

    @classmethod
    def generate(cls, seed: int, size: Size = "small", *, epoch: datetime = EPOCH) -> World:
        """A whole organisation: small ≈ 300 items in 6 repos, medium ≈ 5,000, large ≈ 50,000.
        The same seed gives the same organisation whatever the epoch, shifted in time."""
        spec = SIZES[size]
        world = cls(org="acme", seed=seed, epoch=epoch)
        world._populate(spec.teams)
        repos = [
            world._add_repo(team.key, f"{team.key}-{REPO_SUFFIXES[(t + i) % len(REPO_SUFFIXES)]}")
            for t, team in enumerate(world.teams.values())
            for i in range(spec.repos_per_team)
        ]
        weights = [0.5 + world._rng.random() for _ in repos]
        total = sum(weights)
        counts = [int(spec.items * w / total) for w in weights]
        counts[0] += spec.items - sum(counts)
        for repo, count in zip(repos, counts, strict=True):
            world._fill_repo(repo, count, pr_share=0.25)
        world._share_roadmap_items()
        return world

    @classmethod
    def single_repo(
        cls, owner: str, name: str, issues: int, pull_requests: int, seed: int = 0
    ) -> World:
        """One team, one repository with exactly this many issues and pull requests."""
        return cls.repositories(owner, [name], issues, pull_requests, seed=seed)

    @classmethod
    def repositories(
        cls, owner: str, names: Sequence[str], issues: int, pull_requests: int, seed: int = 0
    ) -> World:
        """One team owning repositories `names`, each with exactly this many issues
        and pull requests (for tests and benchmarks of many connections)."""
        world = cls(org=owner, seed=seed)
        world._populate(1)
        team = next(iter(world.teams))
        total = issues + pull_requests
        for name in names:
            repo = world._add_repo(team, name)
            world._fill_repo(repo, total, pr_share=pull_requests / total if total else 0.0)
            world._fix_pull_request_count(repo, pull_requests)
        return world

    def _populate(self, team_count: int) -> None:
        rng = self._rng
        self.org_id = rng.randrange(10_000_000, 200_000_000)
        for i, (name, description, color) in enumerate(ISSUE_TYPES):
            created = self.epoch - timedelta(days=400 - i)
            self.issue_types[name] = IssueType(1_700_000 + i * 3, name, description, color, created)
        used: set[str] = set()
        for key, name, components in TEAMS[:team_count]:
            members = tuple(self._add_person(key, used) for _ in range(rng.randrange(5, 11)))
            self.teams[key] = Team(key, name, members)
            for _ in range(rng.randrange(3, 7)):
                self._add_roadmap_item(key, components)

    def _add_person(self, team: str, used: set[str]) -> str:
        rng = self._rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        login = f"{first}-{last}"
        suffix = 2
        while login in used:
            login, suffix = f"{first}-{last}{suffix}", suffix + 1
        used.add(login)
        person_id = rng.randrange(1_000_000, 190_000_000)
        self.people[login] = Person(login, person_id, f"{first.title()} {last.title()}", team)
        return login

    def _add_roadmap_item(self, team: str, components: Sequence[str]) -> None:
        rng = self._rng
        component = rng.choice(components)
        theme = rng.choice(ROADMAP_THEMES)
        title = theme.format(c=component, C=component[0].upper() + component[1:])
        first_quarter_end = self.epoch.date() - FIRST_QUARTER_END_BEFORE_EPOCH
        quarter_end = first_quarter_end + timedelta(days=91 * rng.randrange(0, 8))
        status: Literal["planned", "in_progress", "done"] = (
            "done" if quarter_end < self.epoch.date() else rng.choice(("planned", "in_progress"))
        )
        key = f"RM-{len(self.roadmap) + 1}"
        self.roadmap[key] = RoadmapItem(key, title, team, quarter_end, status)

    def _add_repo(self, team: str, name: str) -> Repo:
        rng = self._rng
        created = _ts(self.epoch - HISTORY - timedelta(days=rng.randrange(30, 400)))
        repo = Repo(
            id=rng.randrange(700_000_000, 1_100_000_000),
            owner=self.org,
            name=name,
            team=team,
            description=f"{self.teams[team].name} team: {name}",
            created_at=created,
            labels=self._labels_for(team),
            milestones={},
        )
        self.repos[repo.full_name] = repo
        self._repos_by_lower[repo.full_name.lower()] = repo
        self._repos_by_id[repo.id] = repo
        self._add_milestones(repo)
        return repo

    def _object_id(self) -> int:
        self._next_object_id += self._rng.randrange(1, 5_000)
        return self._next_object_id

    def _labels_for(self, team: str) -> dict[str, Label]:
        labels = [Label(self._object_id(), n, c, d, True) for n, c, d in GITHUB_DEFAULT_LABELS]
        custom = (
            (EPIC_LABEL, "3e4b9e", "A large body of work, split into sub-issues"),
            ("priority: high", "b60205", None),
            ("tech-debt", "fbca04", "Cleanup that pays for itself later"),
            (f"team: {team}", "1d76db", f"Owned by the {self.teams[team].name} team"),
        )
        labels += [Label(self._object_id(), n, c, d, False) for n, c, d in custom]
        return {label.name: label for label in labels}

    def _add_milestones(self, repo: Repo) -> None:
        rng = self._rng
        members = self.teams[repo.team].members
        for number in range(1, rng.randrange(4, 7)):
            due = self.epoch - FIRST_MILESTONE_BEFORE_EPOCH + timedelta(days=number * 91)
            closed = due < self.epoch - timedelta(days=30)
            created = due - timedelta(days=120)
            repo.milestones[number] = Milestone(
                id=rng.randrange(10_000_000, 14_000_000),
                number=number,
                title=f"{due.year} Q{(due.month - 1) // 3 + 1}",
                description=f"Everything {repo.name} ships by {due.date().isoformat()}",
                due_on=due,
                state="closed" if closed else "open",
                creator=rng.choice(members),
                created_at=created,
                updated_at=due + timedelta(days=2) if closed else created,
                closed_at=due + timedelta(days=2) if closed else None,
            )

    def _fill_repo(self, repo: Repo, count: int, *, pr_share: float) -> None:
        rng = self._rng
        span = (self.epoch - timedelta(hours=1) - repo.created_at).total_seconds()
        offsets = sorted(rng.random() * span for _ in range(count))
        epics: list[Issue] = []
        for offset in offsets:
            created = _ts(repo.created_at + timedelta(seconds=offset))
            is_pr = rng.random() < pr_share
            issue = self._new_item(repo, created, is_pr, epics)
            if issue.issue_type == "Epic":
                epics.append(issue)
            self._insert(repo, issue)

    def _share_roadmap_items(self) -> None:
        """Let an issue of another team (an epic where there is one) deliver some
        roadmap items too, as when one planned project is delivered by several teams.

        Its own generator, so the rest of the world is the same with or without this.
        """
        rng = random.Random(f"shared-roadmap-{self.seed}")  # noqa: S311 (a simulation)
        free = [
            i
            for i in self.all_issues()
            if not (i.is_pull_request or i.roadmap_key or i.part_of or i.parent)
        ]
        free.sort(key=lambda i: (i.issue_type != "Epic", i.id))
        for item in self.roadmap.values():
            helper = next((i for i in free if self.repo(i.repo).team != item.team), None)
            if helper is None or rng.random() < 0.6:
                continue
            free.remove(helper)
            helper.roadmap_key = item.key
            helper.body = f"{helper.body or ''}\n\n{REFERENCES[1]}{item.key}".lstrip()

    def _fix_pull_request_count(self, repo: Repo, wanted: int) -> None:
        # single_repo promises exact counts; a seeded coin only gets close.
        items = sorted(repo.issues.values(), key=lambda i: i.number)
        surplus = sum(i.is_pull_request for i in items) - wanted
        for issue in items:
            if surplus == 0:
                break
            if issue.is_pull_request == (surplus > 0) and not repo.children.get(issue.number):
                self._unindex(repo, issue)
                self._make_kind(issue, pull_request=surplus < 0)
                self._index(repo, issue)
                surplus += -1 if surplus > 0 else 1

    def _make_kind(self, issue: Issue, *, pull_request: bool) -> None:
        issue.is_pull_request = pull_request
        issue.parent = issue.part_of = issue.roadmap_key = None
        if issue.body:  # it no longer says what it is part of or delivers
            kept = [line for line in issue.body.split("\n") if not line.startswith(REFERENCES)]
            issue.body = "\n".join(kept).rstrip()
        issue.issue_type = None if pull_request else "Task"
        issue.labels = tuple(name for name in issue.labels if name != EPIC_LABEL)
        issue.state_reason = None if pull_request else issue.state_reason
        if pull_request and issue.state == "closed":
            issue.merged_at = issue.closed_at
        if not pull_request:
            issue.merged_at, issue.draft = None, False
            if issue.state == "closed":
                issue.state_reason = "completed"

    def _new_id(self) -> int:
        self._next_id += self._rng.randrange(1, 2_000)
        return self._next_id

    def _new_item(self, repo: Repo, created: datetime, is_pr: bool, epics: list[Issue]) -> Issue:
        rng = self._rng
        team = self.teams[repo.team]
        issue = Issue(
            repo=repo.full_name,
            number=repo.next_number,
            id=self._new_id(),
            title="",
            body=None,
            author=rng.choice(team.members) if rng.random() < 0.9 else self._anyone(),
            created_at=created,
            updated_at=created,
            is_pull_request=is_pr,
            comments=int(rng.expovariate(0.4)),
        )
        repo.next_number += 1
        self._shape(repo, issue, epics)
        self._settle(repo, issue)
        return issue

    def _anyone(self) -> str:
        return self._rng.choice(tuple(self.people))

    def _components(self, repo: Repo) -> tuple[str, ...]:
        return next(c for key, _, c in TEAMS if key == repo.team)

    def _shape(self, repo: Repo, issue: Issue, epics: list[Issue]) -> None:
        """Kind, title, body, labels, links: what the item is about."""
        rng = self._rng
        component = rng.choice(self._components(repo))
        roll = rng.random()
        if issue.is_pull_request:
            issue.title = self._title(rng.choice(("Bug", "Feature", "Task")), component)
            issue.body = self._body(component, None, None) if rng.random() < 0.8 else None
            issue.labels = self._some_labels(repo, 0.3)
            return
        if roll < 0.05:
            self._make_epic(repo, issue, component)
            return
        kind = rng.choice(("Bug", "Feature", "Task"))
        issue.issue_type = kind if rng.random() < 0.7 else None
        issue.title = self._title(kind, component)
        issue.labels = self._some_labels(repo, 0.6, bug=kind == "Bug")
        if epics and rng.random() < 0.35:
            parent = rng.choice(epics[-8:])
            issue.parent = parent.number
            issue.part_of = parent.key
        elif rng.random() < 0.05:
            other = rng.choice(tuple(self.repos.values()))
            if other.next_number > 1:
                issue.part_of = f"{other.full_name}#{rng.randrange(1, other.next_number)}"
        issue.body = self._body(component, issue.part_of, None) if rng.random() < 0.9 else None

    def _make_epic(self, repo: Repo, issue: Issue, component: str) -> None:
        rng = self._rng
        candidates = [r for r in self.roadmap.values() if r.team == repo.team]
        item = rng.choice(candidates) if candidates and rng.random() < 0.8 else None
        issue.issue_type = "Epic"
        issue.title = item.title if item else f"{component[0].upper()}{component[1:]} revamp"
        issue.roadmap_key = item.key if item else None
        issue.labels = (EPIC_LABEL,)
        issue.body = self._body(component, None, issue.roadmap_key)

    def _title(self, kind: str, component: str) -> str:
        rng = self._rng
        if kind == "Bug":
            return f"Fix {rng.choice(PROBLEMS)} in {component}"
        if kind == "Feature":
            return f"Add {rng.choice(FEATURES)} to {component}"
        return rng.choice(CHORES).format(c=component)

    def _body(self, component: str, part_of: str | None, roadmap_key: str | None) -> str:
        rng = self._rng
        lines = [
            "## Summary",
            "",
            f"The {component} needs work: {rng.choice(PROBLEMS)} seen by users.",
            "",
            "## Acceptance",
            "",
            f"- [ ] {rng.choice(FEATURES)} works end to end",
            f"- [ ] {component} has tests",
        ]
        if part_of:
            lines += ["", f"{REFERENCES[0]}{part_of}"]
        if roadmap_key:
            lines += ["", f"{REFERENCES[1]}{roadmap_key}"]
        return "\n".join(lines)

    def _some_labels(self, repo: Repo, share: float, *, bug: bool = False) -> tuple[str, ...]:
        rng = self._rng
        names = [n for n in repo.labels if n not in (EPIC_LABEL, "bug")]
        picked = rng.sample(names, rng.randrange(1, 3)) if rng.random() < share else []
        return tuple((["bug"] if bug else []) + picked)

    def _settle(self, repo: Repo, issue: Issue) -> None:
        """State, people, milestone and times, given how old the item is."""
        rng = self._rng
        team = self.teams[repo.team]
        age = (self.epoch - issue.created_at).total_seconds()
        if rng.random() < (0.75 if age > 60 * 86_400 else 0.35):
            closed = issue.created_at + timedelta(seconds=rng.random() * age)
            issue.state, issue.closed_at = "closed", _ts(closed)
            issue.closed_by = rng.choice(team.members)
            if issue.is_pull_request:
                issue.merged_at = issue.closed_at if rng.random() < 0.85 else None
            else:
                issue.state_reason = "completed" if rng.random() < 0.85 else "not_planned"
        elif issue.is_pull_request:
            issue.draft = rng.random() < 0.15
        elif rng.random() < 0.05:
            issue.state_reason = "reopened"
        if rng.random() < 0.7:
            issue.assignees = tuple(rng.sample(team.members, rng.choice((1, 1, 1, 2))))
        due_later = [
            m for m in repo.milestones.values() if m.due_on and m.due_on > issue.created_at
        ]
        if due_later and rng.random() < 0.4:
            issue.milestone = rng.choice(due_later[:2]).number
        latest = issue.closed_at or issue.created_at
        room = (self.epoch - latest).total_seconds()
        issue.updated_at = _ts(latest + timedelta(seconds=rng.random() * min(room, 30 * 86_400)))

    # -- lookups

    def repo(self, full_name: str) -> Repo:
        """The repository `owner/name`, matched case-insensitively like GitHub. KeyError if none."""
        return self._repos_by_lower[full_name.lower()]

    def repo_by_id(self, repo_id: int) -> Repo:
        return self._repos_by_id[repo_id]

    def issue(self, repo: str, number: int) -> Issue:
        """A live issue; KeyError if it never existed or is gone (see `tombstone`)."""
        return self.repo(repo).issues[number]

    def tombstone(self, repo: str, number: int) -> Tombstone | None:
        return self.repo(repo).gone.get(number)

    def sub_issues(self, repo: str, number: int) -> list[Issue]:
        found = self.repo(repo)
        return [found.issues[n] for n in found.children.get(number, ())]

    def all_issues(self) -> Iterator[Issue]:
        for repo in self.repos.values():
            yield from repo.issues.values()

    # -- mutation bookkeeping

    def _index(self, repo: Repo, issue: Issue) -> None:
        """Count the issue in its milestone and parent (undone by `_unindex`)."""
        if issue.milestone is not None:
            milestone = repo.milestones[issue.milestone]
            if issue.state == "open":
                milestone.open_issues += 1
            else:
                milestone.closed_issues += 1
            milestone.version += 1
        if issue.parent is not None and issue.parent in repo.issues:
            insort(repo.children.setdefault(issue.parent, []), issue.number)
            repo.issues[issue.parent].version += 1  # its sub_issues_summary changed
        repo.version += 1

    def _unindex(self, repo: Repo, issue: Issue) -> None:
        if issue.milestone is not None:
            milestone = repo.milestones[issue.milestone]
            if issue.state == "open":
                milestone.open_issues -= 1
            else:
                milestone.closed_issues -= 1
            milestone.version += 1
        parent = issue.parent
        siblings = repo.children.get(parent) if parent is not None else None
        if parent is not None and siblings is not None and issue.number in siblings:
            siblings.remove(issue.number)
            repo.issues[parent].version += 1
        repo.version += 1

    def _insert(self, repo: Repo, issue: Issue) -> None:
        repo.issues[issue.number] = issue
        self._index(repo, issue)

    def _orphan_children(self, repo: Repo, issue: Issue) -> None:
        for number in repo.children.pop(issue.number, []):
            child = repo.issues[number]
            child.parent = None
            child.version += 1

    def _tick(self, seconds: int = 1) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def _change(self, kind: ChangeKind, issue: Issue, actor: str, **extra: Any) -> Change:
        self._seq += 1
        return self._observed(Change(self._seq, self.clock, kind, copy.copy(issue), actor, **extra))

    def _observed(self, change: Change) -> Change:
        for observe in self.observers:
            observe(change)
        return change

    def _default_actor(self, repo: Repo) -> str:
        return self._rng.choice(self.teams[repo.team].members)

    # -- direct mutators (tests) and churn

    def edit_issue(
        self,
        repo: str,
        number: int,
        *,
        title: str | _Unset = UNSET,
        body: str | _Unset | None = UNSET,
        state: IssueState | _Unset = UNSET,
        state_reason: StateReason | _Unset | None = UNSET,
        labels: Sequence[str] | _Unset = UNSET,
        assignees: Sequence[str] | _Unset = UNSET,
        milestone: int | _Unset | None = UNSET,
        issue_type: str | _Unset | None = UNSET,
        parent: int | _Unset | None = UNSET,
        comments: int | _Unset = UNSET,
        actor: str | None = None,
    ) -> list[Change]:
        """Change fields of a live issue, tick the clock, return the changes made.

        `labels` and `assignees` are the complete new sets; each added or
        removed one is its own change (as trackers send them). Closing without a
        `state_reason` means completed; reopening sets `reopened`.
        """
        found = self.repo(repo)
        issue = found.issues[number]
        who = actor or self._default_actor(found)
        self._tick()
        self._unindex(found, issue)
        changes = self._edit_text(issue, who, title, body)
        changes += self._edit_state(issue, who, state, state_reason)
        if not isinstance(labels, _Unset):
            changes += self._edit_set(issue, who, "labels", tuple(labels))
        if not isinstance(assignees, _Unset):
            changes += self._edit_set(issue, who, "assignees", tuple(assignees))
        changes += self._edit_links(issue, who, milestone, issue_type, parent)
        if not isinstance(comments, _Unset) and comments != issue.comments:
            issue.comments = comments
            changes.append(self._pending("commented", who))
        self._index(found, issue)
        if changes:
            issue.updated_at = self.clock
            issue.version += 1
        return [self._change(c.kind, issue, c.actor, **c.extra) for c in changes]

    def _edit_text(
        self, issue: Issue, who: str, title: str | _Unset, body: str | _Unset | None
    ) -> list[_Pending]:
        previous: dict[str, str | None] = {}
        if not isinstance(title, _Unset) and title != issue.title:
            previous["title"], issue.title = issue.title, title
        if not isinstance(body, _Unset) and body != issue.body:
            previous["body"], issue.body = issue.body, body
        return [self._pending("edited", who, previous=previous)] if previous else []

    def _edit_state(
        self,
        issue: Issue,
        who: str,
        state: IssueState | _Unset,
        reason: StateReason | _Unset | None,
    ) -> list[_Pending]:
        if isinstance(state, _Unset) or state == issue.state:
            if not isinstance(reason, _Unset):
                issue.state_reason = reason
            return []
        issue.state = state
        if state == "closed":
            issue.closed_at, issue.closed_by = self.clock, who
            default: StateReason | None = None if issue.is_pull_request else "completed"
            issue.state_reason = default if isinstance(reason, _Unset) else reason
            return [self._pending("closed", who)]
        issue.closed_at = issue.closed_by = None
        reopened: StateReason | None = None if issue.is_pull_request else "reopened"
        issue.state_reason = reopened if isinstance(reason, _Unset) else reason
        issue.merged_at = None
        return [self._pending("reopened", who)]

    def _edit_set(
        self, issue: Issue, who: str, which: Literal["labels", "assignees"], new: tuple[str, ...]
    ) -> list[_Pending]:
        old: tuple[str, ...] = getattr(issue, which)
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        setattr(issue, which, new)
        one = "label" if which == "labels" else "assignee"
        verb: ChangeKind = "labeled" if which == "labels" else "assigned"
        undo: ChangeKind = "unlabeled" if which == "labels" else "unassigned"
        return [self._pending(verb, who, **{one: v}) for v in added] + [
            self._pending(undo, who, **{one: v}) for v in removed
        ]

    def _edit_links(
        self,
        issue: Issue,
        who: str,
        milestone: int | _Unset | None,
        issue_type: str | _Unset | None,
        parent: int | _Unset | None,
    ) -> list[_Pending]:
        changes: list[_Pending] = []
        if not isinstance(milestone, _Unset) and milestone != issue.milestone:
            kind: ChangeKind = "demilestoned" if milestone is None else "milestoned"
            shown = issue.milestone if milestone is None else milestone
            issue.milestone = milestone
            changes.append(self._pending(kind, who, milestone=shown))
        if not isinstance(issue_type, _Unset) and issue_type != issue.issue_type:
            if issue_type is not None and issue_type not in self.issue_types:
                raise ValueError(f"unknown issue type {issue_type!r}")
            issue.issue_type = issue_type
            changes.append(self._pending("untyped" if issue_type is None else "typed", who))
        if not isinstance(parent, _Unset) and parent != issue.parent:
            self._check_parent(issue, parent)
            issue.parent = parent  # part_of stays: it is what the body says
            changes.append(self._pending("unparented" if parent is None else "parented", who))
        return changes

    def _check_parent(self, issue: Issue, parent: int | None) -> None:
        live = self.repo(issue.repo).issues
        if parent is not None and (parent == issue.number or parent not in live):
            raise ValueError(f"{issue.repo}#{parent} cannot be the parent of {issue.key}")

    def _pending(self, kind: ChangeKind, who: str, **extra: Any) -> _Pending:
        # The snapshot is taken once every field of the edit is set.
        return _Pending(kind, who, extra)

    def create_issue(
        self,
        repo: str,
        *,
        title: str,
        body: str | None = None,
        author: str | None = None,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        pull_request: bool = False,
    ) -> Change:
        """Open a new issue (or pull request) now; returns its `created` change."""
        found = self.repo(repo)
        who = author or self._default_actor(found)
        now = self._tick()
        issue = Issue(
            repo=found.full_name,
            number=found.next_number,
            id=self._new_id(),
            title=title,
            body=body,
            author=who,
            created_at=now,
            updated_at=now,
            labels=tuple(labels),
            assignees=tuple(assignees),
            is_pull_request=pull_request,
        )
        found.next_number += 1
        self._insert(found, issue)
        return self._change("created", issue, who)

    def delete_issue(self, repo: str, number: int, *, actor: str | None = None) -> Change:
        """Delete a live issue: it leaves lists, and a single read answers "gone"."""
        found = self.repo(repo)
        issue = found.issues[number]
        if issue.is_pull_request:
            raise ValueError("pull requests cannot be deleted")
        who = actor or self._default_actor(found)
        self._tick()
        change = self._change("deleted", issue, who)
        self._remove(found, issue, Tombstone("deleted", self.clock))
        return change

    def _remove(self, repo: Repo, issue: Issue, tombstone: Tombstone) -> None:
        self._unindex(repo, issue)
        self._orphan_children(repo, issue)
        del repo.issues[issue.number]
        repo.gone[issue.number] = tombstone

    def transfer_issue(
        self, repo: str, number: int, to_repo: str, *, actor: str | None = None
    ) -> list[Change]:
        """Move a live issue to another repository, under a new number and id.

        Returns the old issue's `transferred` change and the new one's `created`.
        Labels whose names exist in the target survive; milestone and parent do not.
        """
        source, target = self.repo(repo), self.repo(to_repo)
        issue = source.issues[number]
        if issue.is_pull_request or source is target:
            raise ValueError("only issues move, and only to another repository")
        who = actor or self._default_actor(source)
        now = self._tick()
        moved = copy.copy(issue)
        moved.repo, moved.number, moved.id = target.full_name, target.next_number, self._new_id()
        moved.labels = tuple(n for n in issue.labels if n in target.labels)
        moved.milestone = moved.parent = None
        moved.updated_at, moved.version = now, 0
        target.next_number += 1
        self._remove(source, issue, Tombstone("transferred", now, (target.full_name, moved.number)))
        self._insert(target, moved)
        self._seq += 1
        old = Change(self._seq, now, "transferred", copy.copy(issue), who, counterpart=moved)
        return [
            self._observed(old),
            self._change("created", moved, who, counterpart=copy.copy(issue)),
        ]

    def advance(self, changes: int) -> list[Change]:
        """Churn: move the clock forward and make `changes` random edits.

        Mostly edits (retitle, body, labels, assignees, close/reopen, milestone),
        occasionally a creation, deletion or transfer. One change per unit, except
        a transfer, which reports two (see `transfer_issue`).
        """
        made: list[Change] = []
        for _ in range(changes):
            self._tick(self._rng.randrange(20, 900) - 1)
            made += self._churn_once()
        return made

    def _churn_once(self) -> list[Change]:
        rng = self._rng
        repo = rng.choice([r for r in self.repos.values() if r.issues])
        issue = repo.issues[rng.choice(tuple(repo.issues))]
        roll = rng.random()
        if roll < 0.03:
            return [self._churn_create(repo)]
        if roll < 0.05 and not issue.is_pull_request:
            return [self.delete_issue(repo.full_name, issue.number)]
        if roll < 0.07 and not issue.is_pull_request and len(self.repos) > 1:
            target = rng.choice([r for r in self.repos.values() if r is not repo])
            return self.transfer_issue(repo.full_name, issue.number, target.full_name)
        return self.edit_issue(repo.full_name, issue.number, **self._churn_edit(repo, issue))

    def _churn_create(self, repo: Repo) -> Change:
        component = self._rng.choice(self._components(repo))
        kind = self._rng.choice(("Bug", "Feature", "Task"))
        return self.create_issue(
            repo.full_name,
            title=self._title(kind, component),
            body=self._body(component, None, None),
        )

    def _churn_edit(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        rng = self._rng
        op = rng.choice(("title", "body", "label", "assignee", "state", "state", "milestone"))
        if op == "title":
            return {"title": f"{issue.title} ({rng.choice(('v2', 'follow-up', 'revisit'))})"}
        if op == "body":
            return {"body": f"{issue.body or ''}\n\nUpdate: {rng.choice(PROBLEMS)} reproduced."}
        if op == "label":
            name = rng.choice([n for n in repo.labels if n != EPIC_LABEL])
            toggled = [n for n in issue.labels if n != name]
            return {"labels": toggled if name in issue.labels else [*issue.labels, name]}
        if op == "assignee":
            who = rng.choice(self.teams[repo.team].members)
            kept = [a for a in issue.assignees if a != who]
            return {"assignees": kept if who in issue.assignees else [*issue.assignees, who]}
        if op == "milestone":
            choices = [m.number for m in repo.milestones.values() if m.state == "open"]
            return {"milestone": None if issue.milestone or not choices else rng.choice(choices)}
        return {"state": "open" if issue.state == "closed" else "closed"}


@dataclass(frozen=True, slots=True)
class _Pending:
    kind: ChangeKind
    actor: str
    extra: dict[str, Any]
