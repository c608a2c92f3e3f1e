"""Paginators: given one page, the request for the next one, or None at the end.

A paginator reads the page it is shown and nothing else; `paginate()` sends the
requests through a VendorClient, one at a time. Each paginator raises
PaginationLoop rather than ask twice for the same URL, token, page or cursor
(offsets only grow, so OffsetPaginator catches a vendor ignoring them instead):
a vendor bug cannot spin a sync forever. Paginators remember their walk, so an
instance serves ONE walk: build a fresh one for each.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol

import httpx

from connectors.base.http import (
    FailureType,
    Params,
    VendorClient,
    VendorError,
    VendorResponse,
    redact_url,
)


class PaginationLoop(VendorError):
    """The vendor pointed back at a page this walk already read."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FailureType.SYSTEM)


@dataclass(frozen=True)
class PageRequest:
    """One page's request. `json` is the body of a POST (search, GraphQL), if any."""

    url: str
    params: Params = field(default_factory=dict)
    json: Any = None
    method: str = "GET"

    def value(self, name: str) -> Any:
        """`name` from the JSON body when the request has one, else from the query."""
        return self.json.get(name) if isinstance(self.json, dict) else self.params.get(name)

    def with_value(self, name: str, value: str | int) -> PageRequest:
        """This request with `name` set where `value()` reads it."""
        if isinstance(self.json, dict):
            return replace(self, json={**self.json, name: value})
        return replace(self, params={**self.params, name: value})


class Paginator(Protocol):
    def next_request(
        self, previous: PageRequest, response: VendorResponse, data: Any
    ) -> PageRequest | None: ...


async def paginate(
    client: VendorClient, first: PageRequest, paginator: Paginator
) -> AsyncIterator[tuple[Any, VendorResponse]]:
    """Yield (parsed JSON, response) for each page, asking for the next only once the
    caller is done with the current one."""
    request: PageRequest | None = first
    while request is not None:
        data, response = await client.request_json(
            request.method, request.url, params=request.params, json=request.json
        )
        yield data, response
        request = paginator.next_request(request, response, data)


@dataclass
class _Walk:
    """What one walk has asked for; asking again for any of it is a loop."""

    noun: str
    seen: set[Hashable] = field(default_factory=set)

    def advance(self, current: Hashable, following: Hashable) -> None:
        self.seen.add(current)
        if following in self.seen:
            shown = redact_url(str(following))[:200]
            raise PaginationLoop(
                f"the vendor pointed back to {self.noun} {shown}, already read in this walk; "
                "stopping rather than looping"
            )


def _dig(data: Any, path: str) -> Any:
    """The value at a dotted path such as `data.issues.pageInfo`, or None."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _items(data: Any, items_field: str | None) -> Sequence[Any]:
    items = data if items_field is None else _dig(data, items_field)
    if not isinstance(items, list):
        where = f"at {items_field!r}" if items_field else "at the top of the page"
        raise VendorError(f"expected a JSON list {where}", FailureType.SYSTEM)
    return items


def _page_number(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise VendorError(f"{what} is not a page number: {value!r}", FailureType.SYSTEM) from None


# --- Link header (RFC 8288) -----------------------------------------------------------

# One link: <target> then `; name=value` parameters, values quoted or bare.
_LINK: Final = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:\"[^\"]*\"|[^;,\s]*))?)*)")
_LINK_PARAM: Final = re.compile(r";\s*([^;,=\s]+)(?:\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*)))?")


def parse_link_header(value: str) -> Mapping[str, str]:
    """Each relation type of an RFC 8288 Link header, lowercased, to its target.

    Targets may contain commas; a `rel` may list several types (`rel="next last"`);
    the first link of a type wins.
    """
    links: dict[str, str] = {}
    for match in _LINK.finditer(value):
        for rel in _rels(match.group(2)):
            links.setdefault(rel, match.group(1).strip())
    return links


def _rels(params: str) -> list[str]:
    for name, quoted, bare in _LINK_PARAM.findall(params):
        if name.lower() == "rel":
            value: str = quoted or bare
            return value.lower().split()
    return []


@dataclass
class LinkHeaderPaginator:
    """Follows the `rel="next"` target verbatim (GitHub, GitLab): page numbers and
    cursors alike, since the URL is never rebuilt."""

    _walk: _Walk = field(default_factory=lambda: _Walk("the next link"), init=False, repr=False)

    def next_request(
        self, previous: PageRequest, response: VendorResponse, data: Any
    ) -> PageRequest | None:
        target = parse_link_header(", ".join(response.headers.get_list("link"))).get("next")
        if target is None:
            return None
        url = str(httpx.URL(response.url).join(target))  # a relative target is allowed
        self._walk.advance(response.url, url)
        return PageRequest(url, {}, previous.json, previous.method)


@dataclass
class NextTokenPaginator:
    """A token from the body, sent back in the next request (Jira `nextPageToken`).

    The walk ends when the token is missing or empty, or `last_field` is true.
    """

    token_field: str = "nextPageToken"  # noqa: S105 - a field name, not a secret
    param: str = "nextPageToken"
    last_field: str | None = "isLast"
    _walk: _Walk = field(default_factory=lambda: _Walk("the page token"), init=False, repr=False)

    def next_request(
        self, previous: PageRequest, response: VendorResponse, data: Any
    ) -> PageRequest | None:
        found = _dig(data, self.token_field)
        if not found or (self.last_field and _dig(data, self.last_field) is True):
            return None
        token = str(found)
        self._walk.advance(previous.value(self.param), token)
        return previous.with_value(self.param, token)


@dataclass
class PageNumberPaginator:
    """Page after page (GitLab, GitHub without Link): GitLab's `X-Next-Page` decides
    when present (empty on the last page); otherwise a short page is the last.

    A short page is one below the size the request asked for or, when it named none,
    `per_page`: the vendor's own default. None means unknown, and then only an empty
    page ends the walk. The page size never changes mid-walk, as that would shift
    every later page.
    """

    page_param: str = "page"
    per_page_param: str = "per_page"
    per_page: int | None = None
    items_field: str | None = None
    _walk: _Walk = field(default_factory=lambda: _Walk("page"), init=False, repr=False)

    def next_request(
        self, previous: PageRequest, response: VendorResponse, data: Any
    ) -> PageRequest | None:
        page = _page_number(previous.value(self.page_param) or 1, self.page_param)
        following = self._following(page, previous, response, data)
        if following is None:
            return None
        self._walk.advance(page, following)
        return previous.with_value(self.page_param, following)

    def _following(
        self, page: int, previous: PageRequest, response: VendorResponse, data: Any
    ) -> int | None:
        header = response.headers.get("x-next-page")
        if header is not None:
            return _page_number(header, "X-Next-Page") if header.strip() else None
        size = _page_number(previous.value(self.per_page_param) or self.per_page or 1, "page size")
        return page + 1 if len(_items(data, self.items_field)) >= size else None


@dataclass
class OffsetPaginator:
    """startAt / total paging (Jira's older endpoints), advanced by the items actually
    received, since Jira may send fewer than `maxResults`. Ends at `total`, on an
    empty page or when `isLast` is true.

    Offsets only grow, so the loop to catch is a vendor ignoring them: one that
    echoes another offset than the one asked would serve the same page forever.
    """

    start_param: str = "startAt"
    total_field: str = "total"
    items_field: str = "values"
    last_field: str | None = "isLast"

    def next_request(
        self, previous: PageRequest, response: VendorResponse, data: Any
    ) -> PageRequest | None:
        start = _page_number(previous.value(self.start_param) or 0, self.start_param)
        echoed = _dig(data, self.start_param)
        if isinstance(echoed, int) and echoed != start:
            raise PaginationLoop(f"asked for offset {start}, the vendor answered {echoed}")
        items = _items(data, self.items_field)
        if not items or self._at_end(data, start + len(items)):
            return None
        return previous.with_value(self.start_param, start + len(items))

    def _at_end(self, data: Any, following: int) -> bool:
        total = _dig(data, self.total_field)
        last = self.last_field is not None and _dig(data, self.last_field) is True
        return last or (isinstance(total, int) and following >= total)


@dataclass
class GraphQLCursorPaginator:
    """Relay cursors (Linear, GitHub GraphQL): reads `pageInfo { hasNextPage endCursor }`
    at a dotted path of the response and sets `variables.<variable>` in the next body."""

    page_info_path: str
    variable: str = "after"
    _walk: _Walk = field(default_factory=lambda: _Walk("the cursor"), init=False, repr=False)

    def next_request(
        self, previous: PageRequest, response: VendorResponse, data: Any
    ) -> PageRequest | None:
        info = _dig(data, self.page_info_path)
        if not isinstance(info, dict):
            raise VendorError(f"no pageInfo at {self.page_info_path!r}", FailureType.SYSTEM)
        if not info.get("hasNextPage"):
            return None
        body = previous.json if isinstance(previous.json, dict) else {}
        variables = body.get("variables") or {}
        current, cursor = variables.get(self.variable), info.get("endCursor")
        # hasNextPage without a cursor would ask for the current page again.
        self._walk.advance(current, cursor or current)
        return replace(previous, json={**body, "variables": {**variables, self.variable: cursor}})
