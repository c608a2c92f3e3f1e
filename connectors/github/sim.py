"""A simulated GitHub REST API over a generated World, and its signed webhooks.

The app plays `https://api.github.com` at its own root:

    GET  /repos/{owner}/{repo}/issues              list (state, sort, direction, since,
    GET  /repositories/{id}/issues                   per_page, page | after | before)
    GET  /repos/{owner}/{repo}/issues/{number}     one issue: 200, 301 (transferred), 410, 404
    GET  /repositories/{id}/issues/{number}
    GET  /repos/{owner}/{repo}, /repositories/{id} the repository
    POST /graphql                                  only the repository-id lookup of
                                                   meltanolabs-tap-github

What it reproduces, as github.com does it: issue and repository JSON with the
keys and types of the real payloads (shared/fixtures/real/github), pull
requests mixed into issue lists, `Link` headers in both of GitHub's styles (page
numbers; `after`/`before` cursors) pointing at `/repositories/{id}/...` under
the request's own base URL, strong ETags and free 304s, per-token rate limits
with `x-ratelimit-*` headers on every response (403 or 429 when spent), a
secondary limit with `retry-after`, 401 for bad credentials. Faults (502s,
truncated bodies, latency) are drawn from a seeded rng, so a run is repeatable.

Rendering (`GitHubRenderer`) is separate from serving (`GitHubSim`), and webhook
deliveries (`issues_delivery`, `GitHubWebhookEmitter`) reuse the renderer, so a
webhook's `issue` is the same object a REST read returns.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import random
import re
import time
import uuid
import zlib
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sim.world import Change, Issue, Label, Milestone, Repo, World

API_VERSION = "2022-11-28"
PUBLIC_API = "https://api.github.com"
PUBLIC_WEB = "https://github.com"
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
RATE_WINDOW = 3600
DOCS_RATE_LIMITS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
DOCS_SECONDARY = f"{DOCS_RATE_LIMITS}#about-secondary-rate-limits"
JSON_TYPE = "application/json; charset=utf-8"
DEEP_PAGE_MESSAGE = (
    "Pagination with the page parameter is not supported for large datasets, "
    "please use cursor based pagination (after/before)"
)

Json = dict[str, Any]


class GitHubSimOptions(BaseModel):
    """How the simulated GitHub behaves. Defaults are github.com's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Link header style for lists: "page" (page=N, with last) or "cursor" (after=, no last).
    # A request that itself uses `after` or `before` always gets cursor links.
    link_style: Literal["page", "cursor"] = "page"
    # github.com (since 2025) refuses page numbers reaching this many items into a list with
    # 422 and links large lists with cursors; None turns that off. Observed threshold: 1000.
    page_offset_limit: int | None = Field(default=None, ge=1)
    rate_limit: int = Field(default=5000, ge=1)  # requests per hour per token
    unauthenticated_rate_limit: int = Field(default=60, ge=1)  # shared by all anonymous requests
    # Each budget's first window starts with this many requests left (tests of exhaustion).
    forced_remaining: int | None = Field(default=None, ge=0)
    exhausted_status: Literal[403, 429] = 403
    # Secondary limit: more than this many requests per token within 60 s trips it, and
    # every request answers 403 + retry-after until `secondary_retry_after` seconds pass.
    secondary_limit_after: int | None = Field(default=None, ge=0)
    secondary_retry_after: int = Field(default=60, ge=1)
    tokens: frozenset[str] | None = None  # accepted tokens; None accepts any
    revoked: frozenset[str] = frozenset()  # answered 401 Bad credentials
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)  # share of 502 Bad Gateway
    truncate_rate: float = Field(default=0.0, ge=0.0, le=1.0)  # share of 200s cut short
    latency: float = Field(default=0.0, ge=0.0)  # seconds added to every response
    seed: int = 0  # of the fault rng
    clock: Callable[[], float] = time.time  # epoch seconds, for rate-limit windows
    web_url: str = PUBLIC_WEB  # where html_url links point


# --- ids, times, cursors ---------------------------------------------------------


def _msgpack_uint(value: int) -> bytes:
    # GitHub packs every id as msgpack uint32 (0xce) or, when it does not fit, uint64 (0xcf).
    if value < 1 << 32:
        return b"\xce" + value.to_bytes(4, "big")
    return b"\xcf" + value.to_bytes(8, "big")


def _msgpack_read_uint(data: bytes, pos: int) -> tuple[int, int]:
    marker = data[pos]
    if marker < 0x80:
        return marker, pos + 1
    size = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[marker]
    end = pos + 1 + size
    if end > len(data):
        raise ValueError("short cursor")
    return int.from_bytes(data[pos + 1 : end], "big"), end


def node_id(prefix: str, *ids: int) -> str:
    """A GitHub global node id: `PREFIX_` + base64url(msgpack([0, *ids])), as GitHub mints them.

    `node_id("I", repo_id, issue_id)` for issues, `("U", user_id)` for users.
    """
    packed = bytes([0x90 + len(ids) + 1, 0]) + b"".join(_msgpack_uint(i) for i in ids)
    return f"{prefix}_{base64.urlsafe_b64encode(packed).decode().rstrip('=')}"


def iso(moment: datetime) -> str:
    """GitHub's timestamp format: `YYYY-MM-DDTHH:MM:SSZ`, UTC."""
    return moment.astimezone(UTC).isoformat()[:19] + "Z"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


SortKey = tuple[int, int]  # (sort value, number)
CURSOR_PREFIX = b"cursor:v2:"


def encode_cursor(key: SortKey) -> str:
    """GitHub-style opaque cursor: base64url("cursor:v2:" + msgpack([value, number]))."""
    packed = bytes([0x92]) + _msgpack_uint(key[0]) + _msgpack_uint(key[1])
    return base64.urlsafe_b64encode(CURSOR_PREFIX + packed).decode()


def decode_cursor(cursor: str) -> SortKey:
    """Inverse of `encode_cursor`; ValueError on anything else."""
    try:
        data = base64.urlsafe_b64decode(cursor.encode())
        if not data.startswith(CURSOR_PREFIX) or data[len(CURSOR_PREFIX)] != 0x92:
            raise ValueError("not a cursor")
        value, pos = _msgpack_read_uint(data, len(CURSOR_PREFIX) + 1)
        number, pos = _msgpack_read_uint(data, pos)
    except (IndexError, KeyError, ValueError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error
    if pos != len(data):
        raise ValueError(f"invalid cursor {cursor!r}")
    return value, number


# --- rendering -------------------------------------------------------------------

REACTIONS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")


class GitHubRenderer:
    """Renders World facts as GitHub JSON with API URLs under one base URL.

    Pieces shared by many issues (users, labels, milestones, issue types) are
    serialized once and embedded as `orjson.Fragment`s; a milestone is
    re-serialized only when its `version` moves.
    """

    def __init__(self, world: World, api_url: str, web_url: str = PUBLIC_WEB) -> None:
        self.world = world
        self.api = api_url.rstrip("/")
        self.web = web_url.rstrip("/")
        self._users: dict[str, orjson.Fragment] = {}
        self._labels: dict[int, orjson.Fragment] = {}
        self._types: dict[str, orjson.Fragment] = {}
        self._milestones: dict[int, tuple[int, orjson.Fragment]] = {}

    # -- people

    def user_id(self, login: str) -> int:
        person = self.world.people.get(login)
        # Logins from outside the generated org (tests may invent actors) get a stable id.
        return person.id if person else 200_000_000 + zlib.crc32(login.encode()) % 10_000_000

    def user(self, login: str, *, kind: str = "User") -> Json:
        user_id = self.user_id(login) if kind == "User" else self.world.org_id
        api = f"{self.api}/users/{login}"
        return {
            "login": login,
            "id": user_id,
            "node_id": node_id("U" if kind == "User" else "O", user_id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.web}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _user_fragment(self, login: str) -> orjson.Fragment:
        found = self._users.get(login)
        if found is None:
            found = self._users[login] = orjson.Fragment(orjson.dumps(self.user(login)))
        return found

    # -- repository pieces

    def label(self, repo: Repo, label: Label) -> Json:
        return {
            "id": label.id,
            "node_id": node_id("LA", repo.id, label.id),
            "url": f"{self.api}/repos/{repo.full_name}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _label_fragment(self, repo: Repo, name: str) -> orjson.Fragment:
        label = repo.labels[name]
        found = self._labels.get(label.id)
        if found is None:
            found = self._labels[label.id] = orjson.Fragment(orjson.dumps(self.label(repo, label)))
        return found

    def milestone(self, repo: Repo, milestone: Milestone) -> Json:
        api = f"{self.api}/repos/{repo.full_name}/milestones/{milestone.number}"
        return {
            "url": api,
            "html_url": f"{self.web}/{repo.full_name}/milestone/{milestone.number}",
            "labels_url": f"{api}/labels",
            "id": milestone.id,
            "node_id": node_id("MI", repo.id, milestone.id),
            "number": milestone.number,
            "title": milestone.title,
            "description": milestone.description,
            "creator": self._user_fragment(milestone.creator),
            "open_issues": milestone.open_issues,
            "closed_issues": milestone.closed_issues,
            "state": milestone.state,
            "created_at": iso(milestone.created_at),
            "updated_at": iso(milestone.updated_at),
            "due_on": iso(milestone.due_on) if milestone.due_on else None,
            "closed_at": iso(milestone.closed_at) if milestone.closed_at else None,
        }

    def _milestone_fragment(self, repo: Repo, number: int) -> orjson.Fragment:
        milestone = repo.milestones[number]
        cached = self._milestones.get(milestone.id)
        if cached is None or cached[0] != milestone.version:
            doc = orjson.dumps(self.milestone(repo, milestone))
            cached = self._milestones[milestone.id] = (milestone.version, orjson.Fragment(doc))
        return cached[1]

    def issue_type(self, name: str) -> Json:
        kind = self.world.issue_types[name]
        return {
            "id": kind.id,
            "node_id": node_id("IT", self.world.org_id, kind.id),
            "name": kind.name,
            "description": kind.description,
            "color": kind.color,
            "created_at": iso(kind.created_at),
            "updated_at": iso(kind.created_at),
            "is_enabled": True,
        }

    def _type_fragment(self, name: str) -> orjson.Fragment:
        found = self._types.get(name)
        if found is None:
            found = self._types[name] = orjson.Fragment(orjson.dumps(self.issue_type(name)))
        return found

    # -- issues

    def issue(self, issue: Issue, *, single: bool = False) -> Json:
        """The REST issue object (lists and webhooks); `single` adds `closed_by` as GET one does.

        Nested objects may be `orjson.Fragment`s: serialize with orjson.
        """
        repo = self.world.repo(issue.repo)
        api = f"{self.api}/repos/{repo.full_name}/issues/{issue.number}"
        web_kind = "pull" if issue.is_pull_request else "issues"
        assignees = [self._user_fragment(a) for a in issue.assignees]
        doc: Json = {
            "url": api,
            "repository_url": f"{self.api}/repos/{repo.full_name}",
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"{self.web}/{repo.full_name}/{web_kind}/{issue.number}",
            "id": issue.id,
            "node_id": node_id("PR" if issue.is_pull_request else "I", repo.id, issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self._user_fragment(issue.author),
            "labels": [self._label_fragment(repo, name) for name in issue.labels],
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": (
                self._milestone_fragment(repo, issue.milestone) if issue.milestone else None
            ),
            "comments": issue.comments,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at) if issue.closed_at else None,
            "author_association": "MEMBER" if issue.author in self.world.people else "NONE",
            "type": self._type_fragment(issue.issue_type) if issue.issue_type else None,
            "active_lock_reason": None,
        }
        if issue.is_pull_request:
            doc["draft"] = issue.draft
            doc["pull_request"] = self._pull_request(repo, issue)
        doc["sub_issues_summary"] = self._sub_issues_summary(repo, issue)
        if issue.parent is not None:
            # GitHub only sends the key on sub-issues.
            doc["parent_issue_url"] = f"{self.api}/repos/{repo.full_name}/issues/{issue.parent}"
        doc["issue_dependencies_summary"] = {
            "blocked_by": 0,
            "total_blocked_by": 0,
            "blocking": 0,
            "total_blocking": 0,
        }
        doc["body"] = issue.body
        if single:
            doc["closed_by"] = self._user_fragment(issue.closed_by) if issue.closed_by else None
        doc["reactions"] = {"url": f"{api}/reactions", "total_count": 0} | dict.fromkeys(
            REACTIONS, 0
        )
        doc["timeline_url"] = f"{api}/timeline"
        doc["performed_via_github_app"] = None
        doc["state_reason"] = issue.state_reason
        return doc

    def _pull_request(self, repo: Repo, issue: Issue) -> Json:
        web = f"{self.web}/{repo.full_name}/pull/{issue.number}"
        return {
            "url": f"{self.api}/repos/{repo.full_name}/pulls/{issue.number}",
            "html_url": web,
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "merged_at": iso(issue.merged_at) if issue.merged_at else None,
        }

    def _sub_issues_summary(self, repo: Repo, issue: Issue) -> Json:
        children = repo.children.get(issue.number, ())
        done = sum(repo.issues[n].state == "closed" for n in children)
        percent = done * 100 // len(children) if children else 0
        return {"total": len(children), "completed": done, "percent_completed": percent}

    def issue_bytes(self, issue: Issue, *, single: bool = False) -> bytes:
        return orjson.dumps(self.issue(issue, single=single))

    # -- repositories

    def repository(self, repo: Repo, *, full: bool = False) -> Json:
        """The repository object of webhooks; `full` adds what GET /repos/{o}/{r} adds."""
        api = f"{self.api}/repos/{repo.full_name}"
        web = f"{self.web}/{repo.full_name}"
        open_count = sum(i.state == "open" for i in repo.issues.values())
        clock = iso(self.world.clock)
        doc: Json = {
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self.user(repo.owner, kind="Organization"),
            "html_url": web,
            "description": repo.description,
            "fork": False,
            "url": api,
        }
        doc |= {f"{name}_url": f"{api}/{path}" for name, path in _REPO_URLS}
        doc |= {
            "created_at": iso(repo.created_at),
            "updated_at": clock,
            "pushed_at": clock,
            "git_url": f"git://{self.web.split('://')[-1]}/{repo.full_name}.git",
            "ssh_url": f"git@{self.web.split('://')[-1]}:{repo.full_name}.git",
            "clone_url": f"{web}.git",
            "svn_url": web,
            "homepage": None,
            "size": 1024 + repo.id % 4096,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": "Python",
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [repo.team],
            "visibility": "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": "main",
            "custom_properties": {},
        }
        if full:
            doc |= {
                "organization": self.user(repo.owner, kind="Organization"),
                "network_count": 0,
                "subscribers_count": len(self.world.teams[repo.team].members),
            }
        return doc


_REPO_URLS: tuple[tuple[str, str], ...] = (
    ("forks", "forks"),
    ("keys", "keys{/key_id}"),
    ("collaborators", "collaborators{/collaborator}"),
    ("teams", "teams"),
    ("hooks", "hooks"),
    ("issue_events", "issues/events{/number}"),
    ("events", "events"),
    ("assignees", "assignees{/user}"),
    ("branches", "branches{/branch}"),
    ("tags", "tags"),
    ("blobs", "git/blobs{/sha}"),
    ("git_tags", "git/tags{/sha}"),
    ("git_refs", "git/refs{/sha}"),
    ("trees", "git/trees{/sha}"),
    ("statuses", "statuses/{sha}"),
    ("languages", "languages"),
    ("stargazers", "stargazers"),
    ("contributors", "contributors"),
    ("subscribers", "subscribers"),
    ("subscription", "subscription"),
    ("commits", "commits{/sha}"),
    ("git_commits", "git/commits{/sha}"),
    ("comments", "comments{/number}"),
    ("issue_comment", "issues/comments{/number}"),
    ("contents", "contents/{+path}"),
    ("compare", "compare/{base}...{head}"),
    ("merges", "merges"),
    ("archive", "{archive_format}{/ref}"),
    ("downloads", "downloads"),
    ("issues", "issues{/number}"),
    ("pulls", "pulls{/number}"),
    ("milestones", "milestones{/number}"),
    ("notifications", "notifications{?since,all,participating}"),
    ("labels", "labels{/name}"),
    ("releases", "releases{/id}"),
    ("deployments", "deployments"),
)


# --- listing ---------------------------------------------------------------------

State = Literal["open", "closed", "all"]
Sort = Literal["created", "updated", "comments"]
STATES: dict[str, State] = {"open": "open", "closed": "closed", "all": "all"}
SORTS: dict[str, Sort] = {"created": "created", "updated": "updated", "comments": "comments"}


@dataclass(frozen=True, slots=True)
class Listing:
    """One repo's issues of one state, ascending by (sort value, number)."""

    items: list[Issue]
    keys: list[SortKey]


def sort_value(issue: Issue, sort: Sort) -> int:
    if sort == "comments":
        return issue.comments
    return _epoch(issue.updated_at if sort == "updated" else issue.created_at)


def build_listing(issues: Iterable[Issue], state: State, sort: Sort) -> Listing:
    keyed = sorted(
        ((sort_value(i, sort), i.number), i) for i in issues if state in ("all", i.state)
    )
    return Listing([i for _, i in keyed], [k for k, _ in keyed])


@dataclass(frozen=True, slots=True)
class ListQuery:
    state: State = "open"
    sort: Sort = "created"
    desc: bool = True
    since: int | None = None  # epoch seconds; updated_at >= since
    per_page: int = DEFAULT_PER_PAGE
    page: int = 1
    after: SortKey | None = None
    before: SortKey | None = None


class QueryError(ValueError):
    """A list parameter GitHub would reject with 422."""


def parse_list_query(params: Iterable[tuple[str, str]]) -> ListQuery:
    """GitHub's list parameters; unknown values of enums fall back to the defaults."""
    values = dict(params)
    return ListQuery(
        state=STATES.get(values.get("state", ""), "open"),
        sort=SORTS.get(values.get("sort", ""), "created"),
        desc=values.get("direction", "desc") != "asc",
        since=_parse_since(values["since"]) if "since" in values else None,
        per_page=min(MAX_PER_PAGE, max(1, _int(values.get("per_page"), DEFAULT_PER_PAGE))),
        page=max(1, _int(values.get("page"), 1)),
        after=_cursor_param(values.get("after")),
        before=_cursor_param(values.get("before")),
    )


def _int(raw: str | None, default: int) -> int:
    return int(raw) if raw is not None and raw.strip().lstrip("-").isdigit() else default


def _parse_since(raw: str) -> int:
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError as error:
        raise QueryError(f"Invalid value for `since`: {raw!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.ceil(moment.timestamp())


def _cursor_param(raw: str | None) -> SortKey | None:
    if not raw:
        return None
    try:
        return decode_cursor(raw)
    except ValueError as error:
        raise QueryError(str(error)) from error


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Issue]  # in response order
    has_prev: bool
    has_next: bool
    last: int | None  # last page number (page-number mode only)


def select_page(listing: Listing, query: ListQuery) -> Page:
    """The page a query asks for: by page number, or keyset after/before a cursor."""
    keys = listing.keys
    lo, hi = 0, len(keys)
    if query.since is not None:
        lo = bisect_left(keys, (query.since, -1))
    size = query.per_page
    cursor = query.after if query.after is not None else query.before
    if cursor is not None:
        forward = query.after is not None
        start, stop, has_prev, has_next = _keyset(keys, lo, hi, cursor, forward, query)
        last = None
    else:
        count = hi - lo
        last = max(1, math.ceil(count / size))
        offset = min(count, (query.page - 1) * size)
        end = min(count, offset + size)
        start, stop = (hi - end, hi - offset) if query.desc else (lo + offset, lo + end)
        has_prev, has_next = query.page > 1, query.page < last
    items = listing.items[start:stop]
    return Page(items[::-1] if query.desc else items, has_prev, has_next, last)


def _keyset(
    keys: list[SortKey], lo: int, hi: int, cursor: SortKey, forward: bool, query: ListQuery
) -> tuple[int, int, bool, bool]:
    """[start, stop) in ascending order, and whether items exist before/after in response order.

    `forward` (an `after` cursor) walks the response order, which is descending keys if desc.
    """
    size = query.per_page
    if forward != query.desc:  # walk up the ascending keys
        start = max(lo, bisect_right(keys, cursor))
        stop = min(hi, start + size)
        beyond, behind = stop < hi, start > lo
    else:  # walk down
        stop = min(hi, bisect_left(keys, cursor))
        start = max(lo, stop - size)
        beyond, behind = start > lo, stop < hi
    return (start, stop, behind, beyond) if forward else (start, stop, beyond, behind)


def link_header(
    base: str, params: list[tuple[str, str]], page: Page, query: ListQuery, cursor_style: bool
) -> str | None:
    """GitHub's `Link` header: prev, next, last, first (those that apply), or None."""
    kept = [(k, v) for k, v in params if k not in ("page", "after", "before")]

    def url(extra: tuple[str, str]) -> str:
        return f"{base}?{urlencode([*kept, extra])}"

    links: list[tuple[str, str]] = []
    if cursor_style:
        if page.has_prev and page.items:
            links.append(("prev", url(("before", encode_cursor(_key(page.items[0], query))))))
        if page.has_next and page.items:
            links.append(("next", url(("after", encode_cursor(_key(page.items[-1], query))))))
    elif page.last is not None and page.last > 1:
        if page.has_prev:
            links.append(("prev", url(("page", str(query.page - 1)))))
        if page.has_next:
            links.append(("next", url(("page", str(query.page + 1)))))
            links.append(("last", url(("page", str(page.last)))))
        if page.has_prev:
            links.append(("first", url(("page", "1"))))
    return ", ".join(f'<{u}>; rel="{rel}"' for rel, u in links) or None


def _key(issue: Issue, query: ListQuery) -> SortKey:
    return sort_value(issue, query.sort), issue.number


# --- rate limits -----------------------------------------------------------------


@dataclass(slots=True)
class Budget:
    """One token's budget for one resource (core, graphql)."""

    limit: int
    used: int
    reset: int  # epoch seconds
    burst_start: float = 0.0
    burst_count: int = 0
    blocked_until: float = 0.0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self, resource: str) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": resource,
        }


@dataclass
class GitHubSimStats:
    """Requests seen per endpoint (list_issues, get_issue, get_repo, graphql, other)."""

    requests: Counter[str] = field(default_factory=Counter)
    responses: Counter[tuple[str, int]] = field(default_factory=Counter)

    def count(self, endpoint: str, status: int | None = None) -> int:
        if status is None:
            return self.requests[endpoint]
        return self.responses[(endpoint, status)]

    def not_modified(self, endpoint: str) -> int:
        return self.responses[(endpoint, 304)]

    def reset(self) -> None:
        self.requests.clear()
        self.responses.clear()

    def as_json(self) -> Json:
        by_status: dict[str, dict[str, int]] = {}
        for (endpoint, status), n in sorted(self.responses.items()):
            by_status.setdefault(endpoint, {})[str(status)] = n
        return {"requests": dict(sorted(self.requests.items())), "responses": by_status}


# --- serving ---------------------------------------------------------------------


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(status: int, message: str, docs: str, **headers: str) -> Reply:
    body = {"message": message, "documentation_url": docs, "status": str(status)}
    return Reply(status, orjson.dumps(body), headers)


def not_found() -> Reply:
    return error_reply(404, "Not Found", "https://docs.github.com/rest")


Handler = Callable[[Request], Awaitable[Reply]]
_ALIAS = re.compile(r"(\w+)\s*:\s*repository\s*\(([^)]*)\)\s*\{([^}]*)\}")
_ARG = re.compile(r'(\w+)\s*:\s*"([^"]*)"')
_RATE_LIMIT_FIELDS = re.compile(r"rateLimit\s*\{([^}]*)\}")


class GitHubSim:
    """The simulated GitHub over one World. `app` is the ASGI app, `stats` its counters."""

    def __init__(self, world: World, options: GitHubSimOptions | None = None) -> None:
        self.world = world
        self.options = options or GitHubSimOptions()
        self.stats = GitHubSimStats()
        self._faults = random.Random(self.options.seed)  # noqa: S311 (a simulation)
        self._renderers: dict[str, GitHubRenderer] = {}
        self._listings: dict[tuple[int, str, str], tuple[int, Listing]] = {}
        self._budgets: dict[tuple[str | None, str], Budget] = {}
        self._requests = 0
        self.app = Starlette(routes=self._routes())
        self.app.state.github = self

    def _routes(self) -> list[Route]:
        def route(path: str, endpoint: str, handler: Handler, method: str = "GET") -> Route:
            async def serve(request: Request) -> Response:
                return await self._serve(request, endpoint, handler)

            return Route(path, serve, methods=[method])

        return [
            route("/repos/{owner}/{name}/issues", "list_issues", self._list_issues),
            route("/repositories/{repo_id:int}/issues", "list_issues", self._list_issues),
            route("/repos/{owner}/{name}/issues/{number:int}", "get_issue", self._get_issue),
            route("/repositories/{repo_id:int}/issues/{number:int}", "get_issue", self._get_issue),
            route("/repos/{owner}/{name}", "get_repo", self._get_repo),
            route("/repositories/{repo_id:int}", "get_repo", self._get_repo),
            route("/graphql", "graphql", self._graphql, method="POST"),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        ]

    # -- the pipeline every request goes through

    async def _serve(self, request: Request, endpoint: str, handler: Handler) -> Response:
        if self.options.latency:
            await asyncio.sleep(self.options.latency)
        self._requests += 1
        reply, budget = self._gate(request, endpoint)
        if reply is None:
            reply = await handler(request)
            reply = self._conditional(request, reply, budget)
        resource = "graphql" if endpoint == "graphql" else "core"
        reply.headers |= budget.headers(resource) | self._common_headers()
        self.stats.requests[endpoint] += 1
        self.stats.responses[(endpoint, reply.status)] += 1
        media = JSON_TYPE if reply.status != 304 else None
        return Response(reply.body, reply.status, reply.headers, media_type=media)

    def _gate(self, request: Request, endpoint: str) -> tuple[Reply | None, Budget]:
        """Auth, limits and injected errors: a reply that stops the request, or None."""
        token = _token(request)
        now = self.options.clock()
        resource = "graphql" if endpoint == "graphql" else "core"
        if token is not None and (
            token in self.options.revoked
            or (self.options.tokens is not None and token not in self.options.tokens)
        ):
            bad = error_reply(401, "Bad credentials", "https://docs.github.com/rest")
            return bad, self._budget(None, resource, now)
        budget = self._budget(token, resource, now)
        if self._secondary_tripped(budget, now):
            wait = str(math.ceil(budget.blocked_until - now))
            return self._secondary_reply(wait), budget
        if budget.remaining == 0:
            return self._exhausted_reply(token, resource), budget
        if self.options.error_rate and self._faults.random() < self.options.error_rate:
            return Reply(502, orjson.dumps({"message": "Server Error"})), budget
        return None, budget

    def _budget(self, token: str | None, resource: str, now: float) -> Budget:
        found = self._budgets.get((token, resource))
        if found is None:
            limit = self.options.rate_limit if token else self.options.unauthenticated_rate_limit
            forced = self.options.forced_remaining
            used = limit - min(limit, forced) if forced is not None else 0
            found = self._budgets[(token, resource)] = Budget(limit, used, int(now) + RATE_WINDOW)
        elif now >= found.reset:
            found.used, found.reset = 0, int(now) + RATE_WINDOW
        return found

    def _secondary_tripped(self, budget: Budget, now: float) -> bool:
        allowed = self.options.secondary_limit_after
        if allowed is None:
            return False
        if now < budget.blocked_until:
            return True
        if now - budget.burst_start >= 60:
            budget.burst_start, budget.burst_count = now, 0
        budget.burst_count += 1
        if budget.burst_count > allowed:
            budget.blocked_until = now + self.options.secondary_retry_after
            budget.burst_count = 0
            return True
        return False

    def _secondary_reply(self, wait: str) -> Reply:
        message = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before you "
            "try again. If you reach out to GitHub Support for help, please include the "
            f"request ID {self._request_id()}."
        )
        return error_reply(403, message, DOCS_SECONDARY, **{"retry-after": wait})

    def _exhausted_reply(self, token: str | None, resource: str) -> Reply:
        who = f"user ID {zlib.crc32(token.encode())}" if token else "127.0.0.1"
        message = f"API rate limit exceeded for {who}."
        if token is None:
            message += (
                " (But here's the good news: Authenticated requests get a higher rate limit."
                " Check out the documentation for more details.)"
            )
        if resource == "graphql":
            # GitHub answers GraphQL exhaustion with 200 and an error document.
            body = {"errors": [{"type": "RATE_LIMITED", "message": message}]}
            return Reply(200, orjson.dumps(body))
        return error_reply(self.options.exhausted_status, message, DOCS_RATE_LIMITS)

    def _conditional(self, request: Request, reply: Reply, budget: Budget) -> Reply:
        """ETag, free 304s, budget charging and truncation faults for a handled request."""
        if reply.status == 200 and request.method == "GET":
            etag = f'"{hashlib.sha256(reply.body).hexdigest()}"'
            reply.headers["etag"] = etag
            if _etag_matches(request.headers.get("if-none-match"), etag):
                return Reply(304, b"", {"etag": etag})  # a 304 costs no budget
        budget.used += 1
        rate = self.options.truncate_rate
        if reply.status == 200 and rate and reply.body and self._faults.random() < rate:
            reply.body = reply.body[: self._faults.randrange(1, len(reply.body))]
        return reply

    def _common_headers(self) -> dict[str, str]:
        return {
            "x-github-api-version-selected": API_VERSION,
            "x-github-media-type": "github.v3; format=json",
            "x-github-request-id": self._request_id(),
            "cache-control": "private, max-age=60, s-maxage=60",
            "vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
        }

    def _request_id(self) -> str:
        n = self._requests
        return f"{n % 0xFFFF:04X}:{self.options.seed % 0xFFFF:04X}:{n:06X}:{n * 7:06X}:6965AB00"

    # -- handlers

    def renderer(self, api_url: str) -> GitHubRenderer:
        """The renderer for URLs under `api_url` (one per base URL seen)."""
        found = self._renderers.get(api_url)
        if found is None:
            found = GitHubRenderer(self.world, api_url, self.options.web_url)
            self._renderers[api_url] = found
        return found

    def _repo_of(self, request: Request) -> Repo | None:
        params = request.path_params
        try:
            if "repo_id" in params:
                return self.world.repo_by_id(params["repo_id"])
            return self.world.repo(f"{params['owner']}/{params['name']}")
        except KeyError:
            return None

    def listing(self, repo: Repo, state: State, sort: Sort) -> Listing:
        """The sorted index of a repo's issues, rebuilt only after the repo changed."""
        key = (repo.id, state, sort)
        cached = self._listings.get(key)
        if cached is None or cached[0] != repo.version:
            cached = self._listings[key] = (
                repo.version,
                build_listing(repo.issues.values(), state, sort),
            )
        return cached[1]

    async def _list_issues(self, request: Request) -> Reply:
        repo = self._repo_of(request)
        if repo is None:
            return not_found()
        params = list(request.query_params.multi_items())
        try:
            query = parse_list_query(params)
        except QueryError as error:
            return error_reply(422, str(error), "https://docs.github.com/rest/issues/issues")
        if self._too_deep(query):
            return error_reply(422, DEEP_PAGE_MESSAGE, "https://docs.github.com/rest/issues/issues")
        listing, query = self._filtered_listing(repo, query)
        page = select_page(listing, query)
        api = _api_base(request)
        renderer = self.renderer(api)
        body = b"[" + b",".join(renderer.issue_bytes(i) for i in page.items) + b"]"
        base = f"{api}/repositories/{repo.id}/issues"
        link = link_header(base, params, page, query, self._cursor_style(query, listing))
        return Reply(200, body, {"link": link} if link else {})

    def _filtered_listing(self, repo: Repo, query: ListQuery) -> tuple[Listing, ListQuery]:
        listing = self.listing(repo, query.state, query.sort)
        if query.since is None or query.sort == "updated":
            return listing, query  # select_page bisects the updated order on `since`
        kept = [i for i in listing.items if _epoch(i.updated_at) >= query.since]
        return Listing(kept, [_key(i, query) for i in kept]), _without_since(query)

    def _too_deep(self, query: ListQuery) -> bool:
        limit = self.options.page_offset_limit
        by_page = query.after is None and query.before is None
        return limit is not None and by_page and (query.page - 1) * query.per_page >= limit

    def _cursor_style(self, query: ListQuery, listing: Listing) -> bool:
        limit = self.options.page_offset_limit
        return (
            self.options.link_style == "cursor"
            or query.after is not None
            or query.before is not None
            or (limit is not None and len(listing.items) > limit)
        )

    async def _get_issue(self, request: Request) -> Reply:
        repo = self._repo_of(request)
        number: int = request.path_params["number"]
        if repo is None:
            return not_found()
        issue = repo.issues.get(number)
        if issue is not None:
            return Reply(200, self.renderer(_api_base(request)).issue_bytes(issue, single=True))
        gone = repo.gone.get(number)
        if gone is None:
            return not_found()
        if gone.moved_to is None:
            docs = "https://docs.github.com/rest/issues/issues#get-an-issue"
            return error_reply(410, "This issue was deleted", docs)
        target = self.world.repo(gone.moved_to[0])
        location = f"{_api_base(request)}/repositories/{target.id}/issues/{gone.moved_to[1]}"
        body = {
            "message": "Moved Permanently",
            "url": location,
            "documentation_url": "https://docs.github.com/v3/#http-redirects",
            "status": "301",
        }
        return Reply(301, orjson.dumps(body), {"location": location})

    async def _get_repo(self, request: Request) -> Reply:
        repo = self._repo_of(request)
        if repo is None:
            return not_found()
        doc = self.renderer(_api_base(request)).repository(repo, full=True)
        return Reply(200, orjson.dumps(doc))

    async def _graphql(self, request: Request) -> Reply:
        """Answers `alias: repository(name: "x", owner: "y") { nameWithOwner databaseId }`."""
        try:
            query = str(orjson.loads(await request.body()).get("query", ""))
        except (orjson.JSONDecodeError, AttributeError):
            return error_reply(400, "Problems parsing JSON", "https://docs.github.com/graphql")
        data: Json = {}
        errors: list[Json] = []
        for alias, args, fields in _ALIAS.findall(query):
            data[alias] = self._graphql_repo(
                dict(_ARG.findall(args)), fields.split(), alias, errors
            )
        if fields := _RATE_LIMIT_FIELDS.search(query):
            data["rateLimit"] = self._graphql_rate_limit(request, fields.group(1).split())
        body: Json = {"data": data}
        if errors:
            body["errors"] = errors
        return Reply(200, orjson.dumps(body))

    def _graphql_repo(
        self, args: dict[str, str], fields: list[str], alias: str, errors: list[Json]
    ) -> Json | None:
        name = f"{args.get('owner', '')}/{args.get('name', '')}"
        try:
            repo = self.world.repo(name)
        except KeyError:
            message = f"Could not resolve to a Repository with the name '{name}'."
            errors.append({"type": "NOT_FOUND", "path": [alias], "message": message})
            return None
        known: Json = {
            "nameWithOwner": repo.full_name,
            "databaseId": repo.id,
            "id": node_id("R", repo.id),
            "name": repo.name,
        }
        return {f: known[f] for f in fields if f in known}

    def _graphql_rate_limit(self, request: Request, fields: list[str]) -> Json:
        budget = self._budget(_token(request), "graphql", self.options.clock())
        reset = datetime.fromtimestamp(budget.reset, UTC)
        known: Json = {
            "cost": 1,
            "limit": budget.limit,
            "remaining": budget.remaining,
            "used": budget.used,
            "resetAt": iso(reset),
            "nodeCount": 0,
        }
        return {f: known[f] for f in fields if f in known}

    async def _unknown(self, request: Request) -> Response:
        async def missing(_: Request) -> Reply:
            return not_found()

        return await self._serve(request, "other", missing)


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    return None


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates or "*" in candidates


def _api_base(request: Request) -> str:
    # The mount prefix (root_path, e.g. /github) belongs to the API base; Starlette's
    # own base_url is the top-level app's root, so build it from the scope.
    root: str = request.scope.get("root_path", "")
    return str(request.url.replace(path=root, query="", fragment="")).rstrip("/")


def _without_since(query: ListQuery) -> ListQuery:
    return ListQuery(
        state=query.state,
        sort=query.sort,
        desc=query.desc,
        since=None,
        per_page=query.per_page,
        page=query.page,
        after=query.after,
        before=query.before,
    )


def build_github_sim(world: World, options: GitHubSimOptions | None = None) -> Starlette:
    """The simulated GitHub REST API as a Starlette app (its GitHubSim is `app.state.github`)."""
    return GitHubSim(world, options).app


# --- webhooks --------------------------------------------------------------------

ACTIONS: dict[str, str] = {"created": "opened"}
# World changes GitHub reports through other events (sub_issues, issue_comment).
NOT_ISSUES_EVENTS = frozenset({"parented", "unparented", "commented"})
HOOKSHOT = "GitHub-Hookshot/5c1b4e2"


def _issues_payload(
    world: World, change: Change, *, api_url: str = PUBLIC_API, web_url: str = PUBLIC_WEB
) -> Json | None:
    """The `issues` event payload for one change, or None if GitHub sends no `issues` event.

    Nested objects may be `orjson.Fragment`s: serialize with orjson.
    """
    if change.kind in NOT_ISSUES_EVENTS:
        return None
    render = GitHubRenderer(world, api_url, web_url)
    repo = world.repo(change.repo)
    payload: Json = {"action": ACTIONS.get(change.kind, change.kind)}
    payload["issue"] = render.issue(change.issue)
    payload |= _action_extras(render, repo, change)
    payload["repository"] = render.repository(repo)
    payload["sender"] = render.user(change.actor)
    return payload


def _action_extras(render: GitHubRenderer, repo: Repo, change: Change) -> Json:
    other = change.counterpart
    if change.kind == "edited":
        return {"changes": {name: {"from": old} for name, old in change.previous.items()}}
    if change.kind == "transferred" and other is not None:
        new_repo = render.world.repo(other.repo)
        new = {"new_issue": render.issue(other), "new_repository": render.repository(new_repo)}
        return {"changes": new}
    if change.kind == "created" and other is not None:
        old_repo = render.world.repo(other.repo)
        old = {"old_issue": render.issue(other), "old_repository": render.repository(old_repo)}
        return {"changes": old}
    if change.label is not None:
        return {"label": render.label(repo, repo.labels[change.label])}
    if change.assignee is not None:
        return {"assignee": render.user(change.assignee)}
    if change.milestone is not None:
        return {"milestone": render.milestone(repo, repo.milestones[change.milestone])}
    return {}


def sign(secret: str, body: bytes) -> str:
    """X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def issues_delivery(
    world: World,
    change: Change,
    *,
    secret: str,
    hook_id: int = 1,
    delivery_id: str | None = None,
    api_url: str = PUBLIC_API,
    web_url: str = PUBLIC_WEB,
) -> tuple[dict[str, str], bytes] | None:
    """Headers and raw body of the signed `issues` delivery for one change (None: no event).

    Only `delivery_id` varies between calls (a fresh uuid4 unless given).
    """
    payload = _issues_payload(world, change, api_url=api_url, web_url=web_url)
    if payload is None:
        return None
    body = orjson.dumps(payload)
    sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": HOOKSHOT,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Event": "issues",
        "X-GitHub-Hook-ID": str(hook_id),
        "X-GitHub-Hook-Installation-Target-ID": str(world.repo(change.repo).id),
        "X-GitHub-Hook-Installation-Target-Type": "repository",
        "X-Hub-Signature": f"sha1={sha1}",
        "X-Hub-Signature-256": sign(secret, body),
    }
    return headers, body


class GitHubWebhookEmitter:
    """POSTs signed `issues` deliveries of world changes to one target URL.

    async with GitHubWebhookEmitter("http://127.0.0.1:8000/webhooks/gh", "s3cret") as hook:
        responses = await hook.send(world, world.advance(10))
    """

    def __init__(
        self,
        target_url: str,
        secret: str,
        *,
        client: httpx.AsyncClient | None = None,
        hook_id: int = 1,
        api_url: str = PUBLIC_API,
        web_url: str = PUBLIC_WEB,
    ) -> None:
        self.target_url = target_url
        self.secret = secret
        self.hook_id = hook_id
        self.api_url = api_url
        self.web_url = web_url
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=10.0)

    async def send(self, world: World, changes: Iterable[Change]) -> list[httpx.Response]:
        """Deliver each change that GitHub reports as an `issues` event, in order."""
        responses = []
        for change in changes:
            delivery = issues_delivery(
                world,
                change,
                secret=self.secret,
                hook_id=self.hook_id,
                api_url=self.api_url,
                web_url=self.web_url,
            )
            if delivery is not None:
                headers, body = delivery
                responses.append(
                    await self._client.post(self.target_url, content=body, headers=headers)
                )
        return responses

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> GitHubWebhookEmitter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
