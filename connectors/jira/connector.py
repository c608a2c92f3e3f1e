"""The Jira Cloud connector: issues of each scope (a project key, or `jql:<JQL>`),
with their changelogs, through REST API v3. Jira Product Discovery ideas are
issues of their project, so a discovery project is a scope like any other.

Pull, once per run: GET /rest/api/3/myself (the user's time zone, in which
Jira reads JQL dates), GET /rest/api/3/field (custom field ids by name) and
GET /rest/api/3/status (each status's category, which changelogs do not give).
Then per scope: POST /rest/api/3/search/jql with
`(<scope>) AND updated >= "yyyy/MM/dd HH:mm" ORDER BY updated ASC, key ASC`,
`expand=changelog` and only the fields normalization reads, following
nextPageToken. Jira's dates have minute precision: the filter starts at the
minute of the cursor minus an overlap, so changes made in the cursor's minute
are read again (and ingest keeps each version once). Changelogs embedded in a
search result are cut to their latest histories; a longer one is completed
from GET /rest/api/3/issue/{id}/changelog. A full run ends each scope by
listing its issue ids (fields=id, 5,000 a page), so deletions reconcile.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from connectors.base.contract import ConnectionConfig, Connector, PullContext, WebhookResult
from connectors.base.http import JIRA_RATE_LIMIT, FailureType, VendorError
from connectors.base.pagination import NextTokenPaginator, PageRequest, paginate
from connectors.base.records import Batch, Cursor, FieldChange, Link, Presence, WorkItem
from connectors.jira import webhook
from connectors.jira.jql import date_literal, without_order
from connectors.jira.mapping import JiraSettings, known_zone, mapping_for
from connectors.jira.normalize import JiraMapping, history_changes, issue_links, issue_to_item
from connectors.jira.payloads import (
    ChangelogPage,
    FieldInfo,
    History,
    Issue,
    SearchPage,
    Status,
    User,
)

SEARCH = "/rest/api/3/search/jql"
# Jira's cap on a page of issues with fields; it returns fewer (50) with the changelog.
PAGE_SIZE = 100
ID_PAGE_SIZE = 5000  # the cap when only ids are asked for
CHANGELOG_PAGE_SIZE = 100
# Minute precision and an eventually consistent index: re-read two minutes back.
OVERLAP = timedelta(minutes=2)
ORDER = " ORDER BY updated ASC, key ASC"
FIELDS = (
    "summary", "description", "status", "resolution", "resolutiondate", "issuetype", "project",
    "assignee", "labels", "components", "priority", "duedate", "parent", "issuelinks",
    "created", "updated",
)  # fmt: skip


class JiraConnector(Connector):
    kind = "jira"
    vendor_name = "Jira"
    rate_limit = JIRA_RATE_LIMIT

    @classmethod
    def auth_headers(cls, config: ConnectionConfig) -> dict[str, str]:
        """`EMAIL:API_TOKEN` is sent as Basic auth (Jira Cloud API tokens); a bare
        token as Bearer (OAuth 2.0 access tokens)."""
        headers = {"Accept": "application/json"}
        if config.token is not None:
            token = config.token.get_secret_value()
            if ":" in token:
                headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
            else:
                headers["Authorization"] = f"Bearer {token}"
        return headers

    async def pull(self, context: PullContext) -> AsyncIterator[Batch]:
        settings = JiraSettings.of(self.config)
        zone = settings.time_zone or await self._user_zone()
        known_zone(zone)
        mapping = mapping_for(self.config, settings, await self._fields(), await self._statuses())
        for scope in self.config.scopes:
            async for batch in self._pull_scope(scope, context, mapping, zone):
                yield batch

    async def _user_zone(self) -> str:
        data, _ = await self.client.request_json("GET", "/rest/api/3/myself")
        return User.model_validate(data).timeZone or "UTC"

    async def _fields(self) -> list[FieldInfo]:
        data, _ = await self.client.request_json("GET", "/rest/api/3/field")
        return [FieldInfo.model_validate(entry) for entry in data or ()]

    async def _statuses(self) -> list[Status]:
        data, _ = await self.client.request_json("GET", "/rest/api/3/status")
        return [Status.model_validate(entry) for entry in data or ()]

    async def _pull_scope(
        self, scope: str, context: PullContext, mapping: JiraMapping, zone: str
    ) -> AsyncIterator[Batch]:
        stored = context.cursors.get(scope)
        newest = datetime.fromisoformat(stored) if stored else None
        since = None if context.full or newest is None else newest - OVERLAP
        read: set[tuple[str, str]] = set()  # (id, version): a page may repeat an issue
        async for raws in self._search(scope_jql(scope, since, zone), mapping):
            fresh = [raw for raw in raws if _version(raw) not in read]
            read.update(_version(raw) for raw in fresh)
            batch = await self._batch(scope, fresh, mapping)
            newest = max(filter(None, (newest, *(i.updated_at for i in batch.items))), default=None)
            yield batch.model_copy(update={"cursor": _cursor(scope, newest, context)})
        if context.full:
            ids = await self._listing(scope)
            yield Batch(
                presence=(Presence(scope=scope, external_ids=ids, listed_at=context.started_at),)
            )

    async def _search(self, jql: str, mapping: JiraMapping) -> AsyncIterator[list[dict[str, Any]]]:
        custom = (
            mapping.story_points_field,
            mapping.sprint_field,
            mapping.target_date_field,
            mapping.start_date_field,
        )
        body = {
            "jql": jql,
            "maxResults": PAGE_SIZE,
            "fields": [*FIELDS, *(f for f in custom if f)],
            "expand": "changelog",
        }
        first = PageRequest(url=SEARCH, json=body, method="POST")
        try:
            async for data, _ in paginate(self.client, first, NextTokenPaginator()):
                yield SearchPage.model_validate(data).issues
        except VendorError as error:
            raise _refused_jql(error, jql) from error

    async def _batch(self, scope: str, raws: list[dict[str, Any]], mapping: JiraMapping) -> Batch:
        items: list[WorkItem] = []
        links: list[Link] = []
        history: list[FieldChange] = []
        for raw in raws:
            issue = Issue.of(raw)
            item = issue_to_item(raw, mapping, issue).model_copy(update={"scope": scope})
            items.append(item)
            links += issue_links(issue)
            histories = await self._histories(issue)
            history += history_changes(item.external_id, histories, mapping)
        return Batch(items=tuple(items), links=tuple(links), history=tuple(history))

    async def _histories(self, issue: Issue) -> list[History]:
        """The whole changelog. A search embeds only part of a long one (its latest
        histories, as far as Jira says; its first ones would do too): the rest is read
        from the changelog endpoint, before and after the embedded part."""
        embedded = issue.changelog
        if embedded is None:
            return []
        if embedded.complete and embedded.startAt == 0:
            return list(embedded.histories)
        end = embedded.startAt + len(embedded.histories)
        before = await self._changelog(issue.id, 0, embedded.startAt)
        after = await self._changelog(issue.id, end, embedded.total or end)
        return before + list(embedded.histories) + after

    async def _changelog(self, issue_id: str, start: int, end: int) -> list[History]:
        """Histories start..end-1 of an issue, page by page."""
        found: list[History] = []
        url = f"/rest/api/3/issue/{issue_id}/changelog"
        while start + len(found) < end:
            params = {"startAt": start + len(found), "maxResults": CHANGELOG_PAGE_SIZE}
            data, _ = await self.client.request_json("GET", url, params=params)
            page = ChangelogPage.model_validate(data).values
            if not page:
                break
            found += page
        return found[: end - start]

    async def _listing(self, scope: str) -> frozenset[str]:
        body = {
            "jql": f"({scope_filter(scope)}) ORDER BY key ASC",
            "maxResults": ID_PAGE_SIZE,
            "fields": ["id"],
        }
        first = PageRequest(url=SEARCH, json=body, method="POST")
        ids: set[str] = set()
        async for data, _ in paginate(self.client, first, NextTokenPaginator()):
            ids.update(str(raw["id"]) for raw in SearchPage.model_validate(data).issues)
        return frozenset(ids)

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
        return webhook.parse(config, headers, payload, received_at)


def _refused_jql(error: VendorError, jql: str) -> VendorError:
    """Jira answers 400 to JQL it cannot run (an unknown project, a typo in a JQL
    scope): the connection's scopes must change, so it is a config error."""
    if error.status_code != 400:
        return error
    message = f"{error.message}; Jira refused the JQL {jql!r}: check the connection's scopes"
    return VendorError(message, FailureType.CONFIG, 400)


def scope_filter(scope: str) -> str:
    """The JQL restriction of a scope: a project key, or the user's own JQL."""
    if scope.startswith("jql:"):
        return without_order(scope.removeprefix("jql:"))
    return f'project = "{scope}"'


def scope_jql(scope: str, since: datetime | None, zone: str) -> str:
    restriction = f"({scope_filter(scope)})"
    if since is not None:
        restriction += f" AND updated >= {date_literal(since, zone)}"
    return restriction + ORDER


def _version(raw: dict[str, Any]) -> tuple[str, str]:
    fields = raw.get("fields") or {}
    return str(raw.get("id")), str(fields.get("updated"))


def _cursor(scope: str, newest: datetime | None, context: PullContext) -> Cursor | None:
    if newest is None:
        return None
    return Cursor(scope=scope, value=min(newest, context.started_at).isoformat())
