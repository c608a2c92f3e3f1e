"""The GitHub connector: issues of each `owner/repo` scope, through the REST API.

Pull: `GET /repos/{o}/{r}/issues?state=all&sort=updated&direction=asc&since=…`,
following Link headers; pull requests come in the same list and are skipped.
The cursor is the newest updated_at read (capped at the run's start), and the
next run asks `since` that minus an overlap. Each run ends by asking once for
the page the next run will start with, so that when nothing changed the next
run costs one conditional request answered 304.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from connectors.base.contract import ConnectionConfig, Connector, PullContext, WebhookResult
from connectors.base.http import GITHUB_RATE_LIMIT
from connectors.base.pagination import LinkHeaderPaginator, PageRequest, paginate
from connectors.base.records import Batch, Cursor, Presence, WorkItem
from connectors.github import webhook
from connectors.github.normalize import issue_to_item

PER_PAGE = 100
# GitHub's `since` has second precision and its list is eventually consistent:
# re-read a little before the newest change we stored.
OVERLAP = timedelta(seconds=60)
API_VERSION = "2022-11-28"


class GitHubConnector(Connector):
    kind = "github"
    vendor_name = "GitHub"
    rate_limit = GITHUB_RATE_LIMIT

    @classmethod
    def auth_headers(cls, config: ConnectionConfig) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if config.token is not None:
            headers["Authorization"] = f"Bearer {config.token.get_secret_value()}"
        return headers

    async def pull(self, context: PullContext) -> AsyncIterator[Batch]:
        for scope in self.config.scopes:
            async for batch in self._pull_scope(scope, context):
                yield batch

    async def _pull_scope(self, scope: str, context: PullContext) -> AsyncIterator[Batch]:
        stored = context.cursors.get(scope)
        newest = datetime.fromisoformat(stored) if stored else None
        since = None if context.full else _since(stored)
        seen: set[str] = set()
        async for items, page_newest in self._pages(scope, since):
            newest = max(filter(None, (newest, page_newest)), default=None)
            seen.update(item.external_id for item in items)
            yield Batch(items=tuple(items), cursor=_cursor(scope, newest, context))
        if context.full:
            listing = Presence(
                scope=scope, external_ids=frozenset(seen), listed_at=context.started_at
            )
            yield Batch(presence=(listing,))
        cursor = _cursor(scope, newest, context)
        next_since = _since(cursor.value) if cursor else None
        if next_since is not None and next_since != since:
            # Prime the conditional cache with the page the next run starts from.
            async for items, _ in self._pages(scope, next_since):
                yield Batch(items=tuple(items))

    async def _pages(
        self, scope: str, since: datetime | None
    ) -> AsyncIterator[tuple[list[WorkItem], datetime | None]]:
        params = {"state": "all", "sort": "updated", "direction": "asc", "per_page": str(PER_PAGE)}
        if since is not None:
            params["since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        first = PageRequest(url=f"/repos/{scope}/issues", params=params)
        async for page, _response in paginate(self.client, first, LinkHeaderPaginator()):
            yield self._items(page), _newest(page)

    def _items(self, page: list[dict[str, Any]]) -> list[WorkItem]:
        return [
            issue_to_item(raw, team=self.config.team) for raw in page if "pull_request" not in raw
        ]

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


def _newest(page: list[dict[str, Any]]) -> datetime | None:
    """The newest updated_at of a page, pull requests included (the list is sorted by it)."""
    stamps = [datetime.fromisoformat(raw["updated_at"]) for raw in page if raw.get("updated_at")]
    return max(stamps, default=None)


def _since(cursor: str | None) -> datetime | None:
    return None if cursor is None else datetime.fromisoformat(cursor) - OVERLAP


def _cursor(scope: str, newest: datetime | None, context: PullContext) -> Cursor | None:
    if newest is None:
        return None
    return Cursor(scope=scope, value=min(newest, context.started_at).isoformat())
