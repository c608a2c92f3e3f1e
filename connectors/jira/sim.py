"""A simulated Jira Cloud REST API v3 (with Jira Product Discovery) over a World.

The app plays `https://SITE.atlassian.net` at its own root:

    GET  /rest/api/3/myself                      the caller, with its timeZone
    GET  /rest/api/3/field                       system and custom fields (ids to discover)
    GET  /rest/api/3/status                      every status with its statusCategory
    GET|POST /rest/api/3/search/jql              JQL search: nextPageToken, fields, expand
    GET|POST /rest/api/3/search                  the old search: 410, as it is switched off
    GET  /rest/api/3/issue/{idOrKey}             one issue (404 once deleted)
    GET  /rest/api/3/issue/{idOrKey}/changelog   its whole changelog, startAt/maxResults

What it reproduces, as Jira Cloud does it: issue JSON with the keys and types
of the real payloads (shared/fixtures/real/jira), ADF descriptions, times with
milliseconds and a numeric offset in the user's zone, `fields` defaulting to
`id` only, page sizes capped lower than asked (5,000 for ids only, 100 with
fields, 50 with the changelog expanded or every field), embedded changelogs
truncated to their latest histories (`total` tells), JQL dates read in the
user's time zone at minute precision, 429s with Retry-After, X-RateLimit-* and
RateLimit-Reason, 401 without credentials. See render.py for how the World
maps onto Jira, and changelog.py for its histories.

The nextPageToken is opaque but keyed on the last issue's sort values, so an
issue updated during a walk is read again later rather than shifting others
past the walk (this simulator's choice; Jira does not document its tokens).
"""

from __future__ import annotations

import base64
import functools
import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.jira import jql
from connectors.jira.changelog import Changelog, History
from connectors.jira.render import (
    DELIVERY_LINK,
    IDEA_PROJECT,
    IDEA_STATUS,
    ISSUE_TYPES,
    RESOLUTIONS,
    STATUSES,
    WORLD_TYPES,
    CustomFields,
    JiraFacts,
    JiraProjects,
    adf,
    facts_of,
    idea_id,
    idea_times,
    interval,
    jira_time,
    project_key,
)
from connectors.sim.world import Issue, RoadmapItem, World

Json = dict[str, Any]
JSON_TYPE = "application/json;charset=UTF-8"
DEFAULT_MAX_RESULTS = 50
ALL_FIELDS = ("*all", "*navigable")
OLD_SEARCH_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
NOT_FOUND = "Issue does not exist or you do not have permission to see it."


class JiraSimOptions(BaseModel):
    """How the simulated Jira behaves. Defaults are Jira Cloud's, as far as it says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = "UTC"  # the calling user's profile zone: JQL dates are read in it
    max_results_ids: int = Field(default=5000, ge=1)  # fields=id / key only
    max_results: int = Field(default=100, ge=1)  # with a list of fields
    max_results_heavy: int = Field(default=50, ge=1)  # expand=changelog, or *all / *navigable
    embedded_histories: int = Field(default=100, ge=1)  # changelog histories in a search result
    # Which of a longer changelog a search result embeds: Jira's choice is not documented.
    embedded_part: Literal["latest", "oldest"] = "latest"
    changelog_page: int = Field(default=100, ge=1)  # cap of /issue/{key}/changelog pages
    throttle_rate: float = Field(default=0.0, ge=0.0, le=1.0)  # share of requests answered 429
    retry_after: int = Field(default=2, ge=0)  # seconds, on those 429s
    seed: int = 0  # of the throttling rng
    email: str = "admin@acme.example"
    site_url: str = "https://acme.atlassian.net"  # where `self` and browse links point
    fields: CustomFields = CustomFields()


@dataclass
class SimStats:
    requests: Counter[str]
    throttled: Counter[str]

    def count(self, endpoint: str) -> int:
        return self.requests[endpoint]

    def as_json(self) -> Json:
        return {"requests": dict(self.requests), "throttled": dict(self.throttled)}


@dataclass(frozen=True)
class Entry:
    """One searchable Jira issue: a World issue or a roadmap idea."""

    id: int
    key: str
    project: str
    issue_type: str
    created: datetime
    updated: datetime
    issue: Issue | None = None
    idea: RoadmapItem | None = None


class JiraSim:
    """The simulated Jira: `app` (Starlette), `stats`, the changelog, over one World."""

    def __init__(self, world: World, options: JiraSimOptions | None = None) -> None:
        self.world = world
        self.options = options or JiraSimOptions()
        self.zone = ZoneInfo(self.options.time_zone)
        self.projects = JiraProjects(world)
        self.changelog = Changelog(world, self.projects)
        self.stats = SimStats(Counter(), Counter())
        self._throttle = random.Random(self.options.seed)  # noqa: S311 - a simulation
        self._listing_cache: dict[str, tuple[int, list[tuple[Any, ...]], list[Entry]]] = {}
        self._version = 0
        self._index: tuple[int, dict[int, Issue]] = (-1, {})
        world.observers.append(lambda _change: self._bump())
        self.app = Starlette(routes=self._routes())
        self.app.state.jira = self

    def _bump(self) -> None:
        self._version += 1

    def _routes(self) -> list[Route]:
        api = "/rest/api/3"
        handlers: list[tuple[str, str, Callable[[Request], Awaitable[Response]], list[str]]] = [
            (f"{api}/myself", "myself", self._myself, ["GET"]),
            (f"{api}/field", "field", self._fields, ["GET"]),
            (f"{api}/status", "status", self._statuses, ["GET"]),
            (f"{api}/search/jql", "search_jql", self._search, ["GET", "POST"]),
            (f"{api}/search", "search_old", self._old_search, ["GET", "POST"]),
            (f"{api}/issue/{{ref}}", "issue", self._issue, ["GET"]),
            (f"{api}/issue/{{ref}}/changelog", "changelog", self._changelog, ["GET"]),
        ]
        return [
            Route(path, self._serving(name, handler), methods=methods)
            for path, name, handler, methods in handlers
        ]

    def _serving(
        self, name: str, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            if not request.headers.get("authorization"):
                return _error(401, "You are not authenticated. Authentication required.")
            if self.options.throttle_rate and self._throttle.random() < self.options.throttle_rate:
                self.stats.throttled[name] += 1
                return self._too_many()
            self.stats.requests[name] += 1
            return await handler(request)

        return serve

    def _too_many(self) -> Response:
        wait = self.options.retry_after
        reset = datetime.now(UTC) + timedelta(seconds=wait)
        headers = {
            "Retry-After": str(wait),
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
            "RateLimit-Reason": "jira-burst-based",
        }
        return _error(429, "Rate limit exceeded.", headers)

    # -- simple endpoints

    async def _myself(self, request: Request) -> Response:
        return _json(
            {
                "self": f"{self.options.site_url}/rest/api/3/user?accountId=sim-admin",
                "accountId": "sim-admin",
                "accountType": "atlassian",
                "emailAddress": self.options.email,
                "displayName": "Simulated Admin",
                "active": True,
                "timeZone": self.options.time_zone,
                "locale": "en_US",
            }
        )

    async def _fields(self, request: Request) -> Response:
        return _json(field_list(self.options.fields))

    async def _statuses(self, request: Request) -> Response:
        return _json([self._status(name) for name in STATUSES])

    async def _old_search(self, request: Request) -> Response:
        return _error(410, OLD_SEARCH_GONE)

    async def _issue(self, request: Request) -> Response:
        entry = self.entry(request.path_params["ref"])
        if entry is None:
            return _error(404, NOT_FOUND)
        expand = request.query_params.get("expand", "")
        return _json(self.render(entry, None, changelog="changelog" in expand))

    async def _changelog(self, request: Request) -> Response:
        entry = self.entry(request.path_params["ref"])
        if entry is None:
            return _error(404, NOT_FOUND)
        start = _int(request.query_params.get("startAt"), 0)
        size = min(_int(request.query_params.get("maxResults"), 100), self.options.changelog_page)
        histories = self._histories(entry)
        page = histories[start : start + size]
        last = start + len(page) >= len(histories)
        base = f"{self.options.site_url}/rest/api/3/issue/{entry.key}/changelog"
        body: Json = {
            "self": f"{base}?startAt={start}&maxResults={size}",
            "maxResults": size,
            "startAt": start,
            "total": len(histories),
            "isLast": last,
            "values": [self._history(entry, h) for h in page],
        }
        if not last:
            body["nextPage"] = f"{base}?startAt={start + size}&maxResults={size}"
        return _json(body)

    # -- search

    async def _search(self, request: Request) -> Response:
        try:
            query = await _search_query(request)
            parsed = jql.parse(str(query.get("jql") or ""))
        except (jql.JqlError, ValueError) as error:
            return _error(400, str(error))
        if not parsed.bounded:
            return _error(
                400,
                "Unbounded JQL queries are not allowed here. "
                "Please add a search restriction to your query.",
            )
        try:
            self._check_projects(parsed)
            keys, entries = self._listing(parsed)
            start = _token_start(query.get("nextPageToken"), keys)
        except jql.JqlError as error:
            return _error(400, str(error))
        fields = _field_list(query.get("fields")) or ["id"]  # Jira's default: ids only
        expand = str(query.get("expand") or "")
        size = self._page_size(_int(query.get("maxResults"), DEFAULT_MAX_RESULTS), fields, expand)
        page = entries[start : start + size]
        body: Json = {
            "issues": [self.render(e, fields, changelog="changelog" in expand) for e in page]
        }
        if start + size < len(entries):
            body["nextPageToken"] = _token(keys[start + size - 1])
            body["isLast"] = False
        else:
            body["isLast"] = True
        return _json(body)

    def _check_projects(self, query: jql.Query) -> None:
        known = {key.upper() for key in self.projects.project_keys()}
        for condition in query.conditions:
            for value in condition.values if condition.field == "project" else ():
                if value.upper() not in known:
                    raise jql.JqlError(
                        f"The value '{value}' does not exist for the field 'project'."
                    )

    def _page_size(self, asked: int, fields: list[str] | None, expand: str) -> int:
        options = self.options
        if fields is None or set(fields) <= {"id", "key"}:
            cap = options.max_results_ids
        elif "changelog" in expand or any(f in ALL_FIELDS for f in fields):
            cap = options.max_results_heavy
        else:
            cap = options.max_results
        return max(1, min(asked, cap))

    def _listing(self, query: jql.Query) -> tuple[list[tuple[Any, ...]], list[Entry]]:
        """The matching issues in JQL order, with their sort keys (cached per World state)."""
        cache_key = repr(query)
        cached = self._listing_cache.get(cache_key)
        if cached is not None and cached[0] == self._version:
            return cached[1], cached[2]
        matching = [e for e in self.entries() if self._matches(e, query.conditions)]
        keyed = sorted(((self._sort_key(e, query.order), e) for e in matching), key=_first)
        keys, entries = [k for k, _ in keyed], [e for _, e in keyed]
        self._listing_cache[cache_key] = (self._version, keys, entries)
        return keys, entries

    def _sort_key(self, entry: Entry, order: tuple[tuple[str, bool], ...]) -> tuple[Any, ...]:
        values: list[Any] = []
        for name, desc in order:
            value = _sort_value(entry, name)
            values.append(-value if desc else value)
        values.append(entry.id)  # a total order, so tokens are exact
        return tuple(values)

    def _matches(self, entry: Entry, conditions: tuple[jql.Condition, ...]) -> bool:
        return all(self._holds(entry, c) for c in conditions)

    def _holds(self, entry: Entry, condition: jql.Condition) -> bool:
        name, values = condition.field, condition.values
        if name == "project":
            return entry.project.upper() in {v.upper() for v in values}
        if name == "key":
            return entry.key.upper() in {v.upper() for v in values} or str(entry.id) in values
        if name == "issuetype":
            return entry.issue_type.lower() in {v.lower() for v in values}
        moment = entry.updated if name == "updated" else entry.created
        return _compare(moment, condition.op, _bound(values[0], self.options.time_zone))

    # -- the issues

    def entries(self) -> list[Entry]:
        found = [self._entry_of(i) for i in self.world.all_issues() if not i.is_pull_request]
        return found + [self._idea_entry(item) for item in self.world.roadmap.values()]

    def entry(self, ref: str) -> Entry | None:
        """An issue by id or key; None when it does not exist (or no longer does)."""
        if ref.isdigit():
            issue = self._by_id().get(int(ref))
            if issue is not None:
                return self._entry_of(issue)
            return next((e for e in self.entries() if e.idea and str(e.id) == ref), None)
        project, _, number = ref.upper().rpartition("-")
        if project == IDEA_PROJECT:
            item = self.world.roadmap.get(f"RM-{number}")
            return self._idea_entry(item) if item else None
        located = self.projects.locate(ref)
        if located is None:
            return None
        issue = self.world.repo(located[0]).issues.get(located[1])
        return None if issue is None or issue.is_pull_request else self._entry_of(issue)

    def entry_of(self, issue: Issue) -> Entry:
        """The Jira issue of a World issue (or of its snapshot in a Change)."""
        return self._entry_of(issue)

    def user_json(self, login: str) -> Json:
        return self._user(login)

    def history_json(self, issue: Issue, history_id: int) -> Json | None:
        """One history of an issue's changelog as Jira renders it, if it has that one."""
        entry = self._entry_of(issue)
        found = next((h for h in self.changelog.histories(issue) if h.id == history_id), None)
        return None if found is None else self._history(entry, found)

    def _entry_of(self, issue: Issue) -> Entry:
        team = self.world.repo(issue.repo).team
        type_name = WORLD_TYPES.get(issue.issue_type or "Task", "Task")
        return Entry(
            issue.id,
            self.projects.issue_key(issue),
            project_key(team),
            type_name,
            issue.created_at,
            issue.updated_at,
            issue=issue,
        )

    def _idea_entry(self, item: RoadmapItem) -> Entry:
        created, updated = idea_times(item, self.world.epoch)
        key = f"{IDEA_PROJECT}-{item.key.rsplit('-', 1)[1]}"
        return Entry(idea_id(item), key, IDEA_PROJECT, "Idea", created, updated, idea=item)

    def render(self, entry: Entry, fields: list[str] | None, *, changelog: bool = False) -> Json:
        """The issue JSON; `fields` None means every field (as GET issue does)."""
        site = self.options.site_url
        doc: Json = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
            "versionedRepresentations",
            "id": str(entry.id),
            "self": f"{site}/rest/api/3/issue/{entry.id}",
            "key": entry.key,
        }
        wanted = None if fields is None or any(f in ALL_FIELDS for f in fields) else set(fields)
        if wanted is not None and wanted <= {"id", "key"}:
            doc["fields"] = {}  # an id listing: nothing to render
        else:
            every = self._fields_of(entry)
            doc["fields"] = {k: v for k, v in every.items() if wanted is None or k in wanted}
        if changelog:
            doc["changelog"] = self._embedded_changelog(entry)
        return doc

    def _fields_of(self, entry: Entry) -> Json:
        if entry.idea is not None:
            return self._idea_fields(entry, entry.idea)
        assert entry.issue is not None
        return self._issue_fields(entry, entry.issue)

    def _issue_fields(self, entry: Entry, issue: Issue) -> Json:
        facts = facts_of(self.world, issue, self.projects)
        custom = self.options.fields
        fields = self._common_fields(entry, facts.summary, adf(issue.body), facts.status)
        fields |= {
            "resolution": _resolution(facts.resolution),
            "resolutiondate": jira_time(issue.closed_at, self.zone) if issue.closed_at else None,
            "assignee": self._user(facts.assignee) if facts.assignee else None,
            "reporter": self._user(issue.author),
            "labels": list(facts.labels),
            "priority": _priority("High" if "priority: high" in issue.labels else "Medium"),
            "duedate": facts.duedate,
            "issuelinks": self._delivery_links_of(issue),
            custom.story_points: facts.points,
            custom.sprint: self._sprints(issue, facts),
            custom.start_date: None,
        }
        if facts.parent is not None:
            fields["parent"] = self._parent(issue, facts)
        return fields

    def _idea_fields(self, entry: Entry, item: RoadmapItem) -> Json:
        status = IDEA_STATUS[item.status]
        fields = self._common_fields(entry, item.title, adf(f"Roadmap: {item.title}"), status)
        fields |= {
            "resolution": None,
            "resolutiondate": None,
            "assignee": None,
            "reporter": None,
            "labels": [item.team],
            "priority": None,
            "duedate": None,
            "issuelinks": self._idea_links(item),
            self.options.fields.target_date: interval(item.target_date),
        }
        return fields

    def _status(self, status: str) -> Json:
        """A status as an issue embeds it and /rest/api/3/status lists it."""
        name, status_id, category, category_id, category_name = STATUSES[status]
        return {
            "self": f"{self.options.site_url}/rest/api/3/status/{status_id}",
            "id": status_id,
            "name": name,
            "statusCategory": {
                "id": category_id,
                "key": category,
                "colorName": {"new": "blue-gray", "done": "green"}.get(category, "yellow"),
                "name": category_name,
            },
        }

    def _common_fields(self, entry: Entry, summary: str, description: Any, status: str) -> Json:
        type_id, level = ISSUE_TYPES[entry.issue_type]
        discovery = entry.project == IDEA_PROJECT
        return {
            "summary": summary,
            "description": description,
            "status": self._status(status),
            "issuetype": {
                "self": f"{self.options.site_url}/rest/api/3/issuetype/{type_id}",
                "id": type_id,
                "name": entry.issue_type,
                "subtask": False,
                "hierarchyLevel": level,
            },
            "project": {
                "self": f"{self.options.site_url}/rest/api/3/project/{entry.project}",
                "id": str(10_000 + sorted(self.projects.project_keys()).index(entry.project)),
                "key": entry.project,
                "name": entry.project.title(),
                "projectTypeKey": "product_discovery" if discovery else "software",
                "simplified": discovery,
            },
            "components": [],
            "created": jira_time(entry.created, self.zone),
            "updated": jira_time(entry.updated, self.zone),
        }

    def _user(self, login: str) -> Json:
        person = self.world.people.get(login)
        return {
            "self": f"{self.options.site_url}/rest/api/3/user?accountId=acct-{login}",
            "accountId": f"acct-{login}",
            "displayName": person.name if person else login,
            "active": True,
            "timeZone": self.options.time_zone,
            "accountType": "atlassian",
        }

    def _sprints(self, issue: Issue, facts: JiraFacts) -> list[Json] | None:
        if facts.sprint is None or issue.milestone is None:
            return None
        milestone = self.world.repo(issue.repo).milestones[issue.milestone]
        due = milestone.due_on
        return [
            {
                "id": milestone.id % 100_000,
                "name": facts.sprint,
                "state": "closed" if milestone.state == "closed" else "active",
                "boardId": 1,
                "startDate": jira_time(due - timedelta(days=14), self.zone) if due else None,
                "endDate": jira_time(due, self.zone) if due else None,
            }
        ]

    def _parent(self, issue: Issue, facts: JiraFacts) -> Json:
        parent = self.world.repo(issue.repo).issues[issue.parent or 0]
        return {
            "id": str(parent.id),
            "key": self.projects.issue_key(parent),
            "self": f"{self.options.site_url}/rest/api/3/issue/{parent.id}",
            "fields": {"summary": parent.title},
        }

    def _delivery_links_of(self, issue: Issue) -> list[Json]:
        """An epic delivering a roadmap item implements its idea."""
        item = self.world.roadmap.get(issue.roadmap_key) if issue.roadmap_key else None
        if item is None:
            return []
        ref = {"id": str(idea_id(item)), "key": f"{IDEA_PROJECT}-{item.key.rsplit('-', 1)[1]}"}
        link_id = f"{issue.id}{idea_id(item)}"
        return [{"id": link_id, "type": DELIVERY_LINK, "outwardIssue": ref}]

    def _idea_links(self, item: RoadmapItem) -> list[Json]:
        links = []
        for issue in self.world.all_issues():
            if issue.roadmap_key == item.key and not issue.is_pull_request:
                ref = {"id": str(issue.id), "key": self.projects.issue_key(issue)}
                link_id = f"{issue.id}{idea_id(item)}"
                links.append({"id": link_id, "type": DELIVERY_LINK, "inwardIssue": ref})
        return links

    # -- changelogs

    def _histories(self, entry: Entry) -> list[History]:
        return self.changelog.histories(entry.issue) if entry.issue is not None else []

    def _embedded_changelog(self, entry: Entry) -> Json:
        histories = self._histories(entry)
        cap = self.options.embedded_histories
        oldest = self.options.embedded_part == "oldest"
        kept = histories[:cap] if oldest else histories[-cap:]
        return {
            "startAt": 0 if oldest else len(histories) - len(kept),
            "maxResults": len(kept),
            "total": len(histories),
            "histories": [self._history(entry, h) for h in kept],
        }

    def _history(self, entry: Entry, history: History) -> Json:
        return {
            "id": str(history.id),
            "author": self._user(history.author),
            "created": jira_time(history.at, self.zone),
            "items": [item for n in history.items for item in self._change_items(n, history)],
        }

    def _change_items(self, name: str, history: History) -> list[Json]:
        """A field's items; a status change that resolves or reopens the issue lists
        its resolution change first, as Jira does."""
        old, new = history.old, history.new
        item = self._change_item(name, old, new)
        if name == "status" and old.resolution != new.resolution:
            return [_resolution_item(old.resolution, new.resolution), item]
        return [item]

    def _change_item(self, name: str, old: JiraFacts, new: JiraFacts) -> Json:
        custom = self.options.fields
        if name == "status":
            return _item("status", "jira", "status", *_status_ids(old, new))
        if name == "assignee":
            return _item(
                "assignee",
                "jira",
                "assignee",
                f"acct-{old.assignee}" if old.assignee else None,
                self._shown(old.assignee),
                f"acct-{new.assignee}" if new.assignee else None,
                self._shown(new.assignee),
            )
        if name == "points":
            return _item(
                custom.story_points_name,
                "custom",
                custom.story_points,
                None,
                _points(old.points),
                None,
                _points(new.points),
            )
        if name == "sprint":
            return _item("Sprint", "custom", custom.sprint, None, old.sprint, None, new.sprint)
        if name == "duedate":
            return _item(
                "duedate",
                "jira",
                "duedate",
                old.duedate,
                _day(old.duedate),
                new.duedate,
                _day(new.duedate),
            )
        if name == "parent":
            return _item(
                "IssueParentAssociation",
                "jira",
                "parent",
                _str(old.parent),
                self._key_of(old.parent),
                _str(new.parent),
                self._key_of(new.parent),
            )
        if name == "labels":
            return _item(
                "labels",
                "jira",
                "labels",
                None,
                " ".join(old.labels) or None,
                None,
                " ".join(new.labels) or None,
            )
        return _item("summary", "jira", "summary", None, old.summary, None, new.summary)

    def _shown(self, login: str | None) -> str | None:
        if login is None:
            return None
        person = self.world.people.get(login)
        return person.name if person else login

    def _key_of(self, world_id: int | None) -> str | None:
        if world_id is None:
            return None
        found = self._by_id().get(world_id)
        return self.projects.issue_key(found) if found else None

    def _by_id(self) -> dict[int, Issue]:
        if self._index[0] != self._version:
            live = {i.id: i for i in self.world.all_issues() if not i.is_pull_request}
            self._index = (self._version, live)
        return self._index[1]


# --- helpers -----------------------------------------------------------------------


def field_list(custom: CustomFields) -> list[Json]:
    """GET /rest/api/3/field: the system fields we render, then the custom ones."""
    system = [
        ("summary", "Summary"),
        ("description", "Description"),
        ("status", "Status"),
        ("resolution", "Resolution"),
        ("resolutiondate", "Resolved"),
        ("issuetype", "Issue Type"),
        ("project", "Project"),
        ("assignee", "Assignee"),
        ("reporter", "Reporter"),
        ("labels", "Labels"),
        ("components", "Components"),
        ("priority", "Priority"),
        ("duedate", "Due date"),
        ("parent", "Parent"),
        ("issuelinks", "Linked Issues"),
        ("created", "Created"),
        ("updated", "Updated"),
    ]
    fields: list[Json] = [
        {"id": i, "key": i, "name": n, "custom": False, "navigable": True} for i, n in system
    ]
    plugin = "com.pyxis.greenhopper.jira:gh-sprint"
    customs = [
        (custom.story_points, custom.story_points_name, "number", None),
        (custom.sprint, "Sprint", "array", plugin),
        (custom.start_date, "Start date", "date", None),
        (custom.target_date, "Target date", "string", "com.atlassian.jira.plugins.polaris"),
    ]
    for field_id, name, kind, source in customs:
        schema: Json = {"type": kind, "customId": int(field_id.rsplit("_", 1)[1])}
        if source:
            schema["custom"] = source
        fields.append(
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": True,
                "navigable": True,
                "schema": schema,
            }
        )
    return fields


def _item(
    field: str,
    fieldtype: str,
    field_id: str,
    old: str | None,
    old_shown: str | None,
    new: str | None,
    new_shown: str | None,
) -> Json:
    return {
        "field": field,
        "fieldtype": fieldtype,
        "fieldId": field_id,
        "from": old,
        "fromString": old_shown,
        "to": new,
        "toString": new_shown,
    }


def _status_ids(old: JiraFacts, new: JiraFacts) -> tuple[str, str, str, str]:
    return STATUSES[old.status][1], old.status, STATUSES[new.status][1], new.status


def _resolution_item(old: str | None, new: str | None) -> Json:
    old_id, new_id = (RESOLUTIONS[name] if name else None for name in (old, new))
    return _item("resolution", "jira", "resolution", old_id, old, new_id, new)


def _points(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def _day(value: str | None) -> str | None:
    return None if value is None else f"{value} 00:00:00.0"


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _resolution(name: str | None) -> Json | None:
    if name is None:
        return None
    return {"id": RESOLUTIONS[name], "name": name, "description": f"Resolved as {name}"}


def _priority(name: str) -> Json:
    return {"id": {"High": "2", "Medium": "3"}[name], "name": name}


def _sort_value(entry: Entry, name: str) -> Any:
    if name == "updated":
        return entry.updated.timestamp()
    if name == "created":
        return entry.created.timestamp()
    if name == "id":
        return entry.id
    project, _, number = entry.key.rpartition("-")
    return (project, int(number)) if name == "key" else entry.id


def _first(pair: tuple[tuple[Any, ...], Entry]) -> tuple[Any, ...]:
    return pair[0]


@functools.lru_cache(maxsize=256)
def _bound(value: str, zone: str) -> datetime:
    return jql.parse_date(value, zone)


def _compare(moment: datetime, op: str, bound: datetime) -> bool:
    if op == ">=":
        return moment >= bound
    if op == ">":
        return moment > bound
    if op == "<=":
        return moment <= bound
    return moment < bound


def _token(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode()


def _token_start(token: Any, keys: list[tuple[Any, ...]]) -> int:
    """Where the page after `token` starts: right after the last key it carries."""
    if not token:
        return 0
    try:
        after = orjson.loads(base64.urlsafe_b64decode(str(token).encode()))
    except (ValueError, orjson.JSONDecodeError) as error:
        raise jql.JqlError("The provided next page token is invalid or expired.") from error
    return bisect_right(keys, _tupled(after))


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


async def _search_query(request: Request) -> Json:
    if request.method == "POST":
        body = orjson.loads(await request.body() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body
    return dict(request.query_params)


def _field_list(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    names = value if isinstance(value, list) else str(value).split(",")
    return [str(name).strip() for name in names if str(name).strip()]


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type=JSON_TYPE)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json({"errorMessages": [message], "errors": {}}, status, headers)


def build_jira_sim(world: World, options: JiraSimOptions | None = None) -> Starlette:
    """The simulated Jira Cloud API as a Starlette app (its JiraSim is `app.state.jira`)."""
    return JiraSim(world, options).app
