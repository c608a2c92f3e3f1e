"""The simulated Jira's changelog: one list of histories per issue.

An issue's history begins as a plausible generated past (created, estimated,
assigned, planned into a sprint, started, resolved: each at a real time between
its creation and its last update), then grows with every change the World makes
afterwards: the changelog observes the World and records, for each Change, the
Jira fields that differ from what it last saw (one history per change).
History ids are deterministic: generated ones derive from the issue id, later
ones from the World's change sequence, so two simulators of one World agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.jira.render import JiraFacts, JiraProjects, facts_of
from connectors.sim.world import Change, Issue, World

LATER_IDS = 10**12  # history ids of changes made after the simulator started


@dataclass(frozen=True)
class History:
    id: int
    at: datetime
    author: str  # login
    items: tuple[str, ...]  # tracked field names that changed
    old: JiraFacts
    new: JiraFacts


TRACKED = ("summary", "status", "assignee", "labels", "points", "sprint", "duedate", "parent")


def diff(old: JiraFacts, new: JiraFacts) -> tuple[str, ...]:
    return tuple(name for name in TRACKED if getattr(old, name) != getattr(new, name))


class Changelog:
    """Every issue's histories, oldest first; fed by World changes once attached."""

    def __init__(self, world: World, projects: JiraProjects) -> None:
        self.world = world
        self.projects = projects
        self._seen: dict[int, JiraFacts] = {}  # world id → facts at the last change seen
        self._generated: dict[int, list[History]] = {}
        self._later: dict[int, list[History]] = {}
        for issue in world.all_issues():
            if not issue.is_pull_request:
                self._seen[issue.id] = facts_of(world, issue, projects)
        world.observers.append(self.observe)

    def histories(self, issue: Issue) -> list[History]:
        generated = self._generated.get(issue.id)
        if generated is None:
            generated = self._generated[issue.id] = self._generate(issue)
        return generated + self._later.get(issue.id, [])

    def observe(self, change: Change) -> None:
        issue = change.issue
        if issue.is_pull_request:
            return
        if change.kind in ("deleted", "transferred"):
            self._seen.pop(issue.id, None)
            return
        new = facts_of(self.world, issue, self.projects)
        old = self._seen.get(issue.id)
        self._seen[issue.id] = new
        if change.kind == "created" or old is None:
            self._generated.setdefault(issue.id, [])  # a new issue has no past
            return
        changed = diff(old, new)
        if changed:
            later = History(LATER_IDS + change.seq, change.at, change.actor, changed, old, new)
            self._later.setdefault(issue.id, []).append(later)

    def _generate(self, issue: Issue) -> list[History]:
        """A past that ends in the facts the simulator first saw for this issue."""
        final = self._seen.get(issue.id) or facts_of(self.world, issue, self.projects)
        steps = _steps(final)
        if not steps:
            return []
        start, end = issue.created_at, issue.closed_at or issue.updated_at
        span = max((end - start).total_seconds(), 1.0)
        histories, state = [], _blank(final)
        for index, names in enumerate(steps):
            new = _apply(state, final, names)
            at = start + timedelta(seconds=span * (index + 1) / (len(steps) + 1))
            at = at.replace(microsecond=0) if at < end else end
            histories.append(History(issue.id * 16 + index, at, issue.author, names, state, new))
            state = new
        return histories


def _blank(final: JiraFacts) -> JiraFacts:
    """The issue as created: To Do, nobody, no estimate, no sprint, no parent."""
    return JiraFacts(final.summary, "To Do", None, None, final.labels, None, None, None, None)


def _steps(final: JiraFacts) -> list[tuple[str, ...]]:
    steps: list[tuple[str, ...]] = []
    if final.points is not None:
        steps.append(("points",))
    if final.parent is not None:
        steps.append(("parent",))
    if final.sprint is not None or final.duedate is not None:
        steps.append(("sprint", "duedate"))
    if final.assignee is not None:
        steps.append(("assignee",))
    if final.status in ("In Progress", "Done") and final.assignee is not None:
        steps.append(("status",))  # To Do → In Progress
    if final.status == "Done":
        steps.append(("status",))  # → Done, resolved
    return steps


def _apply(state: JiraFacts, final: JiraFacts, names: tuple[str, ...]) -> JiraFacts:
    values = {name: getattr(state, name) for name in (*TRACKED, "resolution")}
    for name in names:
        started = final.status == "Done" and final.assignee is not None
        if name == "status" and started and state.status == "To Do":
            values["status"] = "In Progress"  # the first of two steps to Done
            continue
        values[name] = getattr(final, name)
        if name == "status":
            values["resolution"] = final.resolution
    return JiraFacts(**values)
