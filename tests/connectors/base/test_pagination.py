"""Each paginator walks a small fake of the API it was made for (3+ pages), and
stops with PaginationLoop when that API points back at a page already read."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson
import pytest

from connectors.base.http import FailureType, VendorClient, VendorError
from connectors.base.pagination import (
    GraphQLCursorPaginator,
    LinkHeaderPaginator,
    NextTokenPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    PaginationLoop,
    Paginator,
    paginate,
    parse_link_header,
)

BASE = "https://api.example.com"
ITEMS = [{"id": n} for n in range(1, 8)]  # 7 items: pages of 3, 3 and 1

Handler = Callable[[httpx.Request], httpx.Response]


def reply(body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=orjson.dumps(body), headers=headers)


def body_of(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(request.content)
    return body


async def never_sleep(seconds: float) -> None:
    raise AssertionError(f"a clean walk should not sleep ({seconds} s)")


async def walk(
    handler: Handler, first: PageRequest, paginator: Paginator
) -> tuple[list[Any], list[httpx.Request]]:
    """Every page's data, and every request the fake API received."""
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    transport = httpx.MockTransport(record)
    async with VendorClient(BASE, transport=transport, sleep=never_sleep) as client:
        pages = [data async for data, _ in paginate(client, first, paginator)]
    return pages, requests


def ids(pages: list[Any], field: str | None = None) -> list[int]:
    return [item["id"] for page in pages for item in (page if field is None else page[field])]


# --- Link header ---------------------------------------------------------------------


def github_numbered(request: httpx.Request) -> httpx.Response:
    """GitHub REST: `page` / `per_page`, and a Link header with next and last."""
    page, per_page = int(request.url.params.get("page", 1)), int(request.url.params["per_page"])
    last = -(-len(ITEMS) // per_page)
    links = [f'<{request.url.copy_set_param("page", last)}>; rel="last"']
    if page < last:
        links.insert(0, f'<{request.url.copy_set_param("page", page + 1)}>; rel="next"')
    return reply(ITEMS[(page - 1) * per_page : page * per_page], Link=", ".join(links))


def github_cursors(request: httpx.Request) -> httpx.Response:
    """GitHub's cursor style: `after=<base64 cursor>`, no last link."""
    after = request.url.params.get("after")
    start = int(base64.b64decode(after)) if after else 0
    chunk = ITEMS[start : start + 3]
    if start + 3 >= len(ITEMS):
        return reply(chunk)
    cursor = base64.b64encode(str(start + 3).encode() + b"  ").decode()  # '=' padding
    return reply(chunk, Link=f'<{request.url.copy_set_param("after", cursor)}>; rel="next"')


async def test_link_header_walks_github_page_numbers() -> None:
    first = PageRequest("/repos/acme/api/issues", {"state": "all", "per_page": 3})
    pages, requests = await walk(github_numbered, first, LinkHeaderPaginator())
    assert ids(pages) == list(range(1, 8))
    assert [r.url.params.get("page") for r in requests] == [None, "2", "3"]
    assert all(r.url.params["state"] == "all" for r in requests)


async def test_link_header_walks_github_cursors_verbatim() -> None:
    pages, requests = await walk(github_cursors, PageRequest("/issues"), LinkHeaderPaginator())
    assert ids(pages) == list(range(1, 8))
    assert [r.url.params.get("after") for r in requests] == [None, "MyAg", "NiAg"]


async def test_link_header_detects_a_loop() -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        return reply(ITEMS[:3], Link=f'<{BASE}/issues?page=2>; rel="next"')

    with pytest.raises(PaginationLoop) as caught:
        await walk(stuck, PageRequest("/issues"), LinkHeaderPaginator())
    assert caught.value.failure_type is FailureType.SYSTEM
    assert "page=2" in str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", {}),
        (
            '<https://a/x?page=2>; rel="next", <https://a/x?page=5>; rel="last"',
            {"next": "https://a/x?page=2", "last": "https://a/x?page=5"},
        ),
        (
            '<https://a/x?p=5>; rel="next last"',
            {"next": "https://a/x?p=5", "last": "https://a/x?p=5"},
        ),
        (
            '  <https://a/1> ;  rel = "next"  ,<https://a/0>;rel=prev',
            {"next": "https://a/1", "prev": "https://a/0"},
        ),
        ('<https://a/x?labels=a,b&page=2>; rel="next"', {"next": "https://a/x?labels=a,b&page=2"}),
        ('<https://a/2>; title="a, b; c"; REL="Next"', {"next": "https://a/2"}),
        ('<https://a/2>; rel="next", <https://a/3>; rel="next"', {"next": "https://a/2"}),
        ('<https://a/2>; type="text/html"', {}),
    ],
    ids=[
        "empty",
        "two links",
        "two rels",
        "spaces",
        "commas in URL",
        "quoted params",
        "first wins",
        "no rel",
    ],
)
def test_parse_link_header(header: str, expected: Mapping[str, str]) -> None:
    assert parse_link_header(header) == expected


async def test_link_header_resolves_a_relative_target() -> None:
    def relative(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        link = {"Link": f'</v1/issues?page={page + 1}>; rel="next"'} if page < 3 else {}
        return reply([{"id": page}], **link)

    pages, requests = await walk(relative, PageRequest("/v1/issues"), LinkHeaderPaginator())
    assert ids(pages) == [1, 2, 3]
    assert str(requests[-1].url) == f"{BASE}/v1/issues?page=3"


# --- Next token ----------------------------------------------------------------------


def jira_search(request: httpx.Request) -> httpx.Response:
    """Jira's POST /search/jql: opaque tokens, and fewer issues than asked for."""
    body = body_of(request)
    token = body.get("nextPageToken")
    start = int(base64.b64decode(token)) if token else 0
    size = min(body["maxResults"], 2 if start else 3)
    following = start + size
    page: dict[str, Any] = {"issues": ITEMS[start:following], "isLast": following >= len(ITEMS)}
    if following < len(ITEMS):
        page["nextPageToken"] = base64.b64encode(str(following).encode()).decode()
    return reply(page)


async def test_next_token_walks_jira_search_in_the_body() -> None:
    first = PageRequest(
        "/rest/api/3/search/jql", json={"jql": "project = PAY", "maxResults": 5}, method="POST"
    )
    pages, requests = await walk(jira_search, first, NextTokenPaginator())
    assert ids(pages, "issues") == list(range(1, 8))
    assert len(requests) == 3
    assert [body_of(r).get("nextPageToken") for r in requests] == [None, "Mw==", "NQ=="]
    assert all(body_of(r)["jql"] == "project = PAY" for r in requests)


async def test_next_token_goes_in_the_query_of_a_get() -> None:
    def tokens(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("token", 0))
        return reply({"values": [{"id": n}], "next": str(n + 1) if n < 3 else None})

    paginator = NextTokenPaginator(token_field="next", param="token", last_field=None)
    pages, requests = await walk(tokens, PageRequest("/things"), paginator)
    assert ids(pages, "values") == [0, 1, 2, 3]
    assert [r.url.params.get("token") for r in requests] == [None, "1", "2", "3"]


async def test_next_token_stops_when_is_last_says_so() -> None:
    def last(request: httpx.Request) -> httpx.Response:
        return reply({"issues": [], "nextPageToken": "more?", "isLast": True})

    pages, _ = await walk(last, PageRequest("/search"), NextTokenPaginator())
    assert len(pages) == 1


async def test_next_token_detects_a_loop() -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        return reply({"issues": [{"id": 1}], "nextPageToken": "same"})

    with pytest.raises(PaginationLoop):
        await walk(stuck, PageRequest("/search"), NextTokenPaginator())


# --- Page numbers --------------------------------------------------------------------


def gitlab_issues(request: httpx.Request) -> httpx.Response:
    """GitLab: X-Next-Page, empty on the last page (and X-Total dropped past 10k)."""
    page, per_page = int(request.url.params.get("page", 1)), int(request.url.params["per_page"])
    more = page * per_page < len(ITEMS)
    headers = {"X-Page": str(page), "X-Next-Page": str(page + 1) if more else ""}
    return reply(ITEMS[(page - 1) * per_page : page * per_page], **headers)


async def test_page_numbers_follow_gitlab_next_page_header() -> None:
    first = PageRequest("/projects/7/issues", {"per_page": 3})
    pages, requests = await walk(gitlab_issues, first, PageNumberPaginator(per_page=3))
    assert ids(pages) == list(range(1, 8))
    assert [r.url.params.get("page") for r in requests] == [None, "2", "3"]


async def test_page_numbers_stop_on_a_short_page_without_header() -> None:
    def plain(request: httpx.Request) -> httpx.Response:
        page, per_page = int(request.url.params.get("page", 1)), int(request.url.params["per_page"])
        return reply(ITEMS[(page - 1) * per_page : page * per_page])

    first = PageRequest("/features", {"per_page": 2, "page": 1})
    pages, requests = await walk(plain, first, PageNumberPaginator(per_page=2))
    assert ids(pages) == list(range(1, 8))
    assert len(requests) == 4


@pytest.mark.parametrize(
    ("per_page", "requests_made"),
    [(3, 3), (None, 4)],
    ids=["vendor default known", "vendor default unknown"],
)
async def test_page_numbers_when_the_request_names_no_page_size(
    per_page: int | None, requests_made: int
) -> None:
    def server_default(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        return reply(ITEMS[(page - 1) * 3 : page * 3])  # its own page size: 3

    paginator = PageNumberPaginator(per_page=per_page)
    pages, requests = await walk(server_default, PageRequest("/features"), paginator)
    assert ids(pages) == list(range(1, 8))
    # Unknown, the short third page cannot be trusted to be the last one.
    assert len(requests) == requests_made
    assert all("per_page" not in r.url.params for r in requests)


async def test_page_numbers_detect_a_loop() -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        return reply(ITEMS[:3], **{"X-Next-Page": str(max(page - 1, 1) if page > 1 else 2)})

    with pytest.raises(PaginationLoop):
        await walk(stuck, PageRequest("/projects/7/issues", {"per_page": 3}), PageNumberPaginator())


# --- Offsets -------------------------------------------------------------------------


def jira_changelog(request: httpx.Request) -> httpx.Response:
    """Jira's startAt/maxResults/total, sending fewer than maxResults (here 2 of 3)."""
    start = int(request.url.params.get("startAt", 0))
    chunk = ITEMS[start : start + 2]
    return reply({"startAt": start, "maxResults": 3, "total": len(ITEMS), "values": chunk})


async def test_offsets_advance_by_what_jira_sent_until_total() -> None:
    first = PageRequest("/rest/api/3/issue/PAY-1/changelog", {"maxResults": 3})
    pages, requests = await walk(jira_changelog, first, OffsetPaginator())
    assert ids(pages, "values") == list(range(1, 8))
    assert [r.url.params.get("startAt") for r in requests] == [None, "2", "4", "6"]


async def test_offsets_stop_on_an_empty_page_without_total() -> None:
    def no_total(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("startAt", 0))
        return reply({"values": ITEMS[start : start + 3]})

    pages, requests = await walk(no_total, PageRequest("/x"), OffsetPaginator())
    assert ids(pages, "values") == list(range(1, 8))
    assert len(requests) == 4


async def test_offsets_detect_a_vendor_ignoring_the_offset() -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        return reply({"startAt": 0, "total": 100, "values": ITEMS[:3]})

    with pytest.raises(PaginationLoop) as caught:
        await walk(stuck, PageRequest("/x"), OffsetPaginator())
    assert "asked for offset 3" in str(caught.value)


# --- GraphQL cursors -----------------------------------------------------------------

LINEAR_QUERY = (
    "query($after: String) { issues(first: 3, after: $after) "
    "{ nodes { id } pageInfo { hasNextPage endCursor } } }"
)


def linear_issues(request: httpx.Request) -> httpx.Response:
    after = body_of(request)["variables"].get("after")
    start = int(after.removeprefix("c")) if after else 0
    more = start + 3 < len(ITEMS)
    info = {"hasNextPage": more, "endCursor": f"c{start + 3}" if more else None}
    return reply({"data": {"issues": {"nodes": ITEMS[start : start + 3], "pageInfo": info}}})


async def test_graphql_cursor_walks_linear_issues() -> None:
    first = PageRequest("/graphql", json={"query": LINEAR_QUERY, "variables": {}}, method="POST")
    paginator = GraphQLCursorPaginator("data.issues.pageInfo")
    pages, requests = await walk(linear_issues, first, paginator)
    assert [item["id"] for page in pages for item in page["data"]["issues"]["nodes"]] == list(
        range(1, 8)
    )
    assert [body_of(r)["variables"].get("after") for r in requests] == [None, "c3", "c6"]
    assert all(body_of(r)["query"] == LINEAR_QUERY for r in requests)


@pytest.mark.parametrize("cursor", ["c3", None], ids=["same cursor", "no cursor"])
async def test_graphql_cursor_detects_a_loop(cursor: str | None) -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        info = {"hasNextPage": True, "endCursor": cursor}
        return reply({"data": {"issues": {"nodes": ITEMS[:3], "pageInfo": info}}})

    first = PageRequest("/graphql", json={"query": LINEAR_QUERY, "variables": {}}, method="POST")
    with pytest.raises(PaginationLoop):
        await walk(stuck, first, GraphQLCursorPaginator("data.issues.pageInfo"))


async def test_graphql_cursor_without_page_info_is_a_system_error() -> None:
    def errors(request: httpx.Request) -> httpx.Response:
        return reply({"errors": [{"message": "Cannot query field"}]})

    first = PageRequest("/graphql", json={"query": "{}"}, method="POST")
    with pytest.raises(VendorError) as caught:
        await walk(errors, first, GraphQLCursorPaginator("data.issues.pageInfo"))
    assert caught.value.failure_type is FailureType.SYSTEM
    assert not isinstance(caught.value, PaginationLoop)
