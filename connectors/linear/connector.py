"""The Linear connector: issues of each team (scope = team key), the projects
those teams work on and the workspace's initiatives, through Linear's GraphQL
API (`POST /graphql`).

Per scope, each run reads initiatives (first scope only), projects, then issues,
each ordered by `updatedAt`.
An incremental run asks for `filter: {updatedAt: {gt: cursor - overlap}}` and
`includeArchived: true`, since archiving (or trashing) is how an issue leaves
Linear: those become Deletions. A full run reads only what is live and lists it
(Presence), so whatever it does not list is tombstoned without a Deletion each.
A project spanning several of the connection's teams is read under
the first of them in the connection's scopes, so it is stored once; initiatives,
which belong to no team, under the first scope. The cursor of a scope holds a
high-water mark per kind of entity, capped at the run's start.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base.contract import ConnectionConfig, Connector, PullContext, WebhookResult
from connectors.base.http import LINEAR_RATE_LIMIT, FailureType, VendorError, VendorResponse
from connectors.base.pagination import GraphQLCursorPaginator, PageRequest, paginate
from connectors.base.records import Batch, Cursor, Deletion, Link, Presence, WorkItem
from connectors.linear import queries, webhook
from connectors.linear.budget import ComplexityPacer
from connectors.linear.normalize import (
    initiative_links,
    initiative_to_item,
    is_gone,
    issue_to_item,
    project_links,
    project_to_item,
)

# updatedAt has millisecond precision and `gt` is exclusive, but a change committed
# while we read may carry a slightly older stamp: re-read a little before the mark.
OVERLAP = timedelta(seconds=60)


ENTITIES = ("issues", "projects", "initiatives")


@dataclass(frozen=True)
class Marks:
    """A scope's cursor: the newest `updatedAt` stored of each kind of entity."""

    issues: datetime | None = None
    projects: datetime | None = None
    initiatives: datetime | None = None

    @classmethod
    def parse(cls, value: str | None) -> Marks:
        if not value:
            return cls()
        stored = json.loads(value)
        return cls(*(_moment(stored.get(name)) for name in ENTITIES))

    def seen(self, entity: str, newest: datetime | None) -> Marks:
        return replace(self, **{entity: _newest(getattr(self, entity), newest)})

    def cursor(self, scope: str, context: PullContext) -> Cursor | None:
        marks = {name: getattr(self, name) for name in ENTITIES}
        capped = {
            name: min(mark, context.started_at).isoformat()
            for name, mark in marks.items()
            if mark is not None
        }
        if not capped:
            return None
        return Cursor(scope=scope, value=json.dumps(capped, sort_keys=True))


@dataclass(frozen=True)
class Page:
    items: tuple[WorkItem, ...]
    links: tuple[Link, ...]
    deletions: tuple[Deletion, ...]
    newest: datetime | None


class LinearConnector(Connector):
    kind = "linear"
    vendor_name = "Linear"
    rate_limit = LINEAR_RATE_LIMIT

    @classmethod
    def auth_headers(cls, config: ConnectionConfig) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if config.token is not None:
            # A personal API key goes as it is; an OAuth token already says "Bearer".
            headers["Authorization"] = config.token.get_secret_value()
        return headers

    async def pull(self, context: PullContext) -> AsyncIterator[Batch]:
        pacer = ComplexityPacer(self.client)
        for scope in self.config.scopes:
            async for batch in self._pull_scope(scope, context, pacer):
                yield batch

    async def _pull_scope(
        self, scope: str, context: PullContext, pacer: ComplexityPacer
    ) -> AsyncIterator[Batch]:
        marks = Marks.parse(context.cursors.get(scope))
        seen: set[str] = set()
        for entity in ENTITIES[::-1]:  # containers first: initiatives, projects, issues
            if entity == "initiatives" and scope != self.config.scopes[0]:
                continue
            since = None if context.full else getattr(marks, entity)
            async for page in self._READERS[entity](self, scope, since, pacer):
                marks = marks.seen(entity, page.newest)
                seen.update(item.external_id for item in page.items)
                yield Batch(items=page.items, links=page.links, deletions=page.deletions,
                            cursor=marks.cursor(scope, context))  # fmt: skip
        if context.full:
            listing = Presence(scope=scope, external_ids=frozenset(seen),
                               listed_at=context.started_at)  # fmt: skip
            yield Batch(presence=(listing,), cursor=marks.cursor(scope, context))

    async def _issues(
        self, scope: str, since: datetime | None, pacer: ComplexityPacer
    ) -> AsyncIterator[Page]:
        condition: dict[str, Any] = {"team": {"key": {"eq": scope}}}
        if since is not None:
            condition["updatedAt"] = {"gt": _linear_time(since - OVERLAP)}
        # Linear charges a page's size, found or not: small pages when little changed.
        size = queries.ISSUES_PAGE_SIZE if since is None else queries.CHANGES_PAGE_SIZE
        variables = {"filter": condition, "first": size, "archived": since is not None}
        async for nodes in self._walk(queries.ISSUES, variables, "issues", pacer):
            yield _issue_page(nodes)

    async def _projects(
        self, scope: str, since: datetime | None, pacer: ComplexityPacer
    ) -> AsyncIterator[Page]:
        condition: dict[str, Any] = {"accessibleTeams": {"some": {"key": {"eq": scope}}}}
        if since is not None:
            condition["updatedAt"] = {"gt": _linear_time(since - OVERLAP)}
        variables = {
            "filter": condition,
            "first": queries.PROJECTS_PAGE_SIZE,
            "archived": since is not None,
        }
        async for nodes in self._walk(queries.PROJECTS, variables, "projects", pacer):
            # A project past the first TEAMS_PER_PROJECT teams' keys: count it here.
            mine = [n for n in nodes if (self._home_scope(n) or scope) == scope]
            yield _project_page(mine, scope, _newest_of(nodes))

    async def _initiatives(
        self, scope: str, since: datetime | None, pacer: ComplexityPacer
    ) -> AsyncIterator[Page]:
        condition: dict[str, Any] = {}
        if since is not None:
            condition["updatedAt"] = {"gt": _linear_time(since - OVERLAP)}
        variables = {
            "filter": condition,
            "first": queries.INITIATIVES_PAGE_SIZE,
            "archived": since is not None,
        }
        async for nodes in self._walk(queries.INITIATIVES, variables, "initiatives", pacer):
            yield _initiative_page(nodes, scope)

    _READERS = {"issues": _issues, "projects": _projects, "initiatives": _initiatives}

    def _home_scope(self, project: dict[str, Any]) -> str | None:
        """The first of the connection's scopes among the project's teams."""
        teams = {team.get("key") for team in (project.get("teams") or {}).get("nodes", [])}
        return next((scope for scope in self.config.scopes if scope in teams), None)

    async def _walk(
        self, query: str, variables: dict[str, Any], root: str, pacer: ComplexityPacer
    ) -> AsyncIterator[list[dict[str, Any]]]:
        first = PageRequest(url="/graphql", method="POST",
                            json={"query": query, "variables": variables})  # fmt: skip
        paginator = GraphQLCursorPaginator(page_info_path=f"data.{root}.pageInfo")
        pacer.expect(root, queries.expected_cost(root, variables["first"]))
        await pacer.before_query(root)
        async for body, response in paginate(self.client, first, paginator):
            pacer.observe(root, response.headers)
            nodes = _nodes(body, root, response)
            yield nodes
            if body["data"][root]["pageInfo"].get("hasNextPage"):
                await pacer.before_query(root)  # the next page is asked for once we return

    @classmethod
    def verify_webhook(
        cls, config: ConnectionConfig, headers: Mapping[str, str], body: bytes
    ) -> None:
        webhook.verify(config, headers, body)

    @classmethod
    def delivery_id(cls, headers: Mapping[str, str], body: bytes) -> str:
        return webhook.delivery_id(headers)

    @classmethod
    def parse_webhook(
        cls,
        config: ConnectionConfig,
        headers: Mapping[str, str],
        payload: Any,
        received_at: datetime,
    ) -> WebhookResult:
        return webhook.parse(config, payload, received_at)


def _nodes(body: Any, root: str, response: VendorResponse) -> list[dict[str, Any]]:
    """The page's nodes; a GraphQL error answered with 200 is a failure of ours."""
    errors = body.get("errors") if isinstance(body, dict) else None
    data = body.get("data") if isinstance(body, dict) else None
    if errors or not isinstance(data, dict) or not isinstance(data.get(root), dict):
        said = errors[0].get("message") if errors and isinstance(errors[0], dict) else None
        raise VendorError(
            f"Linear answered {response.status_code} with an error for the {root} query: {said}",
            FailureType.SYSTEM,
            response.status_code,
        )
    nodes: list[dict[str, Any]] = data[root]["nodes"]
    return nodes


def _issue_page(nodes: list[dict[str, Any]]) -> Page:
    items: list[WorkItem] = []
    links: list[Link] = []
    deletions: list[Deletion] = []
    for raw in nodes:
        item = issue_to_item(raw)
        if is_gone(raw):
            deletions.append(_deletion(raw, item.key))
        else:
            items.append(item)
            links.extend(project_links(raw))
    return Page(tuple(items), tuple(links), tuple(deletions), _newest_of(nodes))


def _project_page(nodes: list[dict[str, Any]], scope: str, newest: datetime | None) -> Page:
    live = [raw for raw in nodes if not is_gone(raw)]
    items = tuple(project_to_item(raw, scope=scope) for raw in live)
    links = tuple(link for raw in live for link in initiative_links(raw))
    deletions = tuple(_deletion(raw, raw.get("name")) for raw in nodes if is_gone(raw))
    return Page(items, links, deletions, newest)


def _initiative_page(nodes: list[dict[str, Any]], scope: str) -> Page:
    items = tuple(initiative_to_item(raw, scope=scope) for raw in nodes if not is_gone(raw))
    deletions = tuple(_deletion(raw, raw.get("name")) for raw in nodes if is_gone(raw))
    return Page(items, (), deletions, _newest_of(nodes))


def _deletion(raw: dict[str, Any], key: str | None) -> Deletion:
    at = raw.get("archivedAt") or raw["updatedAt"]
    return Deletion(external_id=raw["id"], deleted_at=datetime.fromisoformat(at), key=key)


def _newest_of(nodes: list[dict[str, Any]]) -> datetime | None:
    return max((datetime.fromisoformat(n["updatedAt"]) for n in nodes), default=None)


def _newest(mark: datetime | None, seen: datetime | None) -> datetime | None:
    return max(filter(None, (mark, seen)), default=None)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _linear_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as Linear writes its DateTime."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
