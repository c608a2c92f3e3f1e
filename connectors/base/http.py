"""VendorClient: every request a connector makes to its vendor goes through it.

    Exception
    └── VendorError          .failure_type  .status_code  .message (== str(error))
        └── PaginationLoop   (pagination.py) always FailureType.system

    FailureType      who must act
    ├── config       the user: bad token, no access, unknown scope
    ├── transient    nobody: network, timeout, 5xx, truncated body (already retried)
    ├── rate_limited nobody: the budget is spent for longer than a request may wait
    └── system       us: the vendor refused our request (400...), or the unforeseen

Contract: `request()` returns a 2xx answer, a 304 served from the ETag cache, or a
status the caller listed in `expect`. Anything else is looked up in FAILURE_RULES,
retried or waited out within RetryPolicy, and finally raised as a VendorError
whose message names the vendor, the request and what to do, with every secret the
client knows of masked.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType, TracebackType
from typing import Any, Final, Self
from urllib.parse import quote

import httpx
import orjson

Primitive = str | int | float | bool | None
Params = Mapping[str, Primitive | Sequence[Primitive]]


class FailureType(StrEnum):
    CONFIG = "config"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    SYSTEM = "system"


class Action(StrEnum):
    RETRY = "retry"
    WAIT = "wait"  # for the rate limit to reset
    FAIL = "fail"


class VendorError(Exception):
    """A vendor call that failed for good. The message never holds a secret."""

    def __init__(
        self, message: str, failure_type: FailureType, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.failure_type = failure_type
        self.status_code = status_code


# --- The failure table -------------------------------------------------------------


@dataclass(frozen=True)
class FailureRule:
    """One row of FAILURE_RULES: an exception class, a status or a status range, and,
    when `exhausted` is not None, whether the answer says the rate limit is spent."""

    cause: type[BaseException] | int | range
    action: Action
    failure_type: FailureType
    advice: str
    exhausted: bool | None = None

    def matches(self, cause: BaseException | int, exhausted: bool) -> bool:
        if self.exhausted not in (None, exhausted):
            return False
        if isinstance(self.cause, type):
            return isinstance(cause, self.cause)
        if isinstance(cause, BaseException):
            return False
        return cause == self.cause if isinstance(self.cause, int) else cause in self.cause


_R, _W, _F = Action.RETRY, Action.WAIT, Action.FAIL
_CONFIG, _TRANSIENT = FailureType.CONFIG, FailureType.TRANSIENT
_LIMITED, _SYSTEM = FailureType.RATE_LIMITED, FailureType.SYSTEM
_SPENT = "the rate limit is spent"

# First match wins. Vendors disagree on how to say "rate limited": GitHub uses 403
# or 429, Linear 400 or 429, and GitHub's GraphQL even answers 200 with an error.
FAILURE_RULES: Final[tuple[FailureRule, ...]] = (
    FailureRule(httpx.TimeoutException, _R, _TRANSIENT, "the request timed out"),
    FailureRule(httpx.NetworkError, _R, _TRANSIENT, "the connection failed"),
    FailureRule(httpx.RemoteProtocolError, _R, _TRANSIENT, "the connection broke mid-answer"),
    FailureRule(httpx.ProxyError, _R, _TRANSIENT, "the proxy failed"),
    FailureRule(httpx.DecodingError, _R, _TRANSIENT, "the body could not be decoded"),
    FailureRule(orjson.JSONDecodeError, _R, _TRANSIENT, "the body is not valid JSON (truncated?)"),
    FailureRule(httpx.UnsupportedProtocol, _F, _CONFIG, "the URL is not http(s); check it"),
    FailureRule(httpx.InvalidURL, _F, _CONFIG, "the URL is invalid; check the base URL"),
    FailureRule(httpx.HTTPError, _F, _SYSTEM, "the request could not be made"),
    FailureRule(429, _W, _LIMITED, "too many requests"),
    FailureRule(403, _W, _LIMITED, _SPENT, exhausted=True),
    FailureRule(400, _W, _LIMITED, _SPENT, exhausted=True),
    FailureRule(200, _W, _LIMITED, _SPENT, exhausted=True),
    FailureRule(401, _F, _CONFIG, "the token was rejected; check or replace it"),
    FailureRule(403, _F, _CONFIG, "the token lacks access; grant it or use another token"),
    FailureRule(404, _F, _CONFIG, "not found, or hidden from this token; check the scope"),
    FailureRule(410, _F, _CONFIG, "it is gone; remove it from the connection's scope"),
    FailureRule(408, _R, _TRANSIENT, "the vendor timed out reading the request"),
    FailureRule(range(400, 500), _F, _SYSTEM, "the vendor refused our request (a bug of ours)"),
    FailureRule(range(500, 600), _R, _TRANSIENT, "the vendor failed"),
    FailureRule(range(1000), _F, _SYSTEM, "this answer was not expected (a bug of ours)"),
)

# The exceptions the table names are the ones a request catches; others are bugs.
_CAUGHT: Final = tuple(rule.cause for rule in FAILURE_RULES if isinstance(rule.cause, type))


_UNFORESEEN: Final = FailureRule(range(0), _F, _SYSTEM, "unforeseen failure")


def classify(cause: BaseException | int, *, exhausted: bool = False) -> FailureRule:
    """The FAILURE_RULES row for an exception or an HTTP status."""
    return next((rule for rule in FAILURE_RULES if rule.matches(cause, exhausted)), _UNFORESEEN)


# --- Policies ------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How long one request keeps trying: exponential backoff with full jitter,
    bounded in attempts and in total seconds (waits for the rate limit included)."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 300.0

    def backoff(self, attempt: int) -> float:
        """The pause after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0.0, ceiling)  # noqa: S311 - jitter, not a secret


class ResetFormat(StrEnum):
    EPOCH_SECONDS = "epoch_seconds"
    EPOCH_MILLISECONDS = "epoch_milliseconds"
    SECONDS_FROM_NOW = "seconds_from_now"


@dataclass(frozen=True)
class RateLimitState:
    """The budget as last reported by the vendor; `reset` is in epoch seconds."""

    remaining: int | None = None
    limit: int | None = None
    reset: float | None = None

    def updated(self, newer: RateLimitState) -> RateLimitState:
        """Newer values where the vendor sent some; an answer without headers keeps ours."""
        return RateLimitState(
            newer.remaining if newer.remaining is not None else self.remaining,
            newer.limit if newer.limit is not None else self.limit,
            newer.reset if newer.reset is not None else self.reset,
        )


@dataclass(frozen=True)
class RateLimitPolicy:
    """Where a vendor reports its rate-limit budget, and when to start pacing."""

    remaining_header: str | None = None
    reset_header: str | None = None
    limit_header: str | None = None
    reset_format: ResetFormat = ResetFormat.EPOCH_SECONDS
    # Below this fraction of the limit, requests are spaced evenly until the reset.
    slow_down_below: float = 0.05

    def read(self, headers: httpx.Headers, now: float) -> RateLimitState:
        remaining = _number(headers, self.remaining_header)
        limit = _number(headers, self.limit_header)
        return RateLimitState(
            None if remaining is None else int(remaining),
            None if limit is None else int(limit),
            self._reset(_number(headers, self.reset_header), now),
        )

    def _reset(self, value: float | None, now: float) -> float | None:
        if value is None or self.reset_format is ResetFormat.EPOCH_SECONDS:
            return value
        if self.reset_format is ResetFormat.EPOCH_MILLISECONDS:
            return value / 1000
        return now + value


NO_RATE_LIMIT_HEADERS: Final = RateLimitPolicy()
GITHUB_RATE_LIMIT: Final = RateLimitPolicy(
    "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-limit"
)
GITLAB_RATE_LIMIT: Final = RateLimitPolicy(
    "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Limit"
)
# trackers.md: Linear's reset unit is epoch milliseconds per its SDK, not confirmed officially.
LINEAR_RATE_LIMIT: Final = RateLimitPolicy(
    "X-RateLimit-Requests-Remaining",
    "X-RateLimit-Requests-Reset",
    "X-RateLimit-Requests-Limit",
    ResetFormat.EPOCH_MILLISECONDS,
)

# Jira Cloud: X-RateLimit-Reset is an ISO 8601 time, not a number, so the wait comes
# from Retry-After (sent with every 429, with RateLimit-Reason saying which limit).
JIRA_RATE_LIMIT: Final = RateLimitPolicy("X-RateLimit-Remaining", None, "X-RateLimit-Limit")

# GitHub asks for at least a minute when a secondary limit gives no other hint.
_UNHINTED_RATE_LIMIT_WAIT: Final = 60.0
_RATE_LIMIT_WORDS: Final = re.compile(rb"rate[ _-]?limit", re.IGNORECASE)
# In a 200, only a GraphQL error object may say so: inside a JSON string the quotes
# would be escaped, so a ticket that talks about rate limits cannot match.
_GRAPHQL_RATE_LIMITED: Final = re.compile(rb'"(?:type|code)"\s*:\s*"RATE_?LIMITED"', re.I)


def _number(headers: httpx.Headers, name: str | None) -> float | None:
    value = headers.get(name) if name else None
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def _retry_after(headers: httpx.Headers, now: float) -> float | None:
    """Retry-After in seconds from now: it is either a number of seconds or an HTTP date."""
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - now, 0.0)


# --- Conditional requests ----------------------------------------------------------


@dataclass(frozen=True)
class CachedResponse:
    """The last full answer to one GET, and the ETag that lets a 304 stand for it."""

    etag: str
    status_code: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    url: str

    @property
    def size(self) -> int:
        return len(self.content) + len(self.url) + sum(len(k) + len(v) for k, v in self.headers)


class ConditionalCache:
    """ETag'd GET answers, the least recently used dropped first beyond `max_bytes`.

    Keyed by (namespace, full URL with its query): give each connection its own
    namespace, as two tokens may see different answers at one URL. Thread-safe, so
    one cache can serve every client of a connection, run after run.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], CachedResponse] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, namespace: str, url: str) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get((namespace, url))
            if entry is not None:
                self._entries.move_to_end((namespace, url))
            return entry

    def put(self, namespace: str, url: str, entry: CachedResponse) -> None:
        with self._lock:
            self._drop((namespace, url))
            if entry.size > self.max_bytes:
                return
            self._entries[(namespace, url)] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def discard(self, namespace: str, url: str) -> None:
        with self._lock:
            self._drop((namespace, url))

    def _drop(self, key: tuple[str, str]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size


# --- Secrets -------------------------------------------------------------------------

_MASK: Final = "***"
_SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "private-token", "x-api-key", "api-key", "cookie"}
)
_SECRET_QUERY: Final = re.compile(
    r"(?i)((?:^|[?&;\s])[\w.-]*(?:token|key|secret|password|signature|auth)[\w.-]*=)[^&#\s]*"
)


def redact_url(text: str) -> str:
    """`text` with the values of token-, key- or secret-like query parameters masked."""
    return _SECRET_QUERY.sub(rf"\g<1>{_MASK}", text)


def _credentials(value: str) -> set[str]:
    """A header value and, for `Bearer xyz`-like values, the credential alone."""
    parts = value.strip().split(None, 1)
    return {value.strip(), parts[-1]} if parts else set()


MIN_SECRET_LENGTH = 8


@dataclass(frozen=True)
class _Scrubber:
    secrets: tuple[str, ...]  # longest first, so a secret containing another goes whole

    @classmethod
    def of(cls, secrets: Iterable[str], headers: Mapping[str, str]) -> _Scrubber:
        found = set(secrets)
        for name, value in headers.items():
            if name.lower() in _SECRET_HEADERS:
                found |= _credentials(value)
        found |= {quote(secret, safe="") for secret in found}
        # Masking a string of a few characters would mangle every message, and
        # no vendor issues credentials that short.
        found = {secret for secret in found if len(secret) >= MIN_SECRET_LENGTH}
        return cls(tuple(sorted(found, key=len, reverse=True)))

    def extended(self, headers: Mapping[str, str]) -> _Scrubber:
        return _Scrubber.of(self.secrets, headers) if headers else self

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _MASK)
        return redact_url(text)


def _vendor_says(content: bytes) -> str | None:
    """The vendor's own explanation, when its error body has one of the usual shapes."""
    try:
        said = _first_message(orjson.loads(content))
    except orjson.JSONDecodeError:
        return None
    return said[:200] if said else None


def _first_message(body: Any) -> str | None:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return _first_message(body[0]) if body else None
    if isinstance(body, dict):
        for key in ("message", "errorMessages", "errors", "error_description", "error"):
            if key in body:
                return _first_message(body[key])
    return None


# --- The client ----------------------------------------------------------------------


@dataclass(frozen=True)
class VendorResponse:
    """A vendor's answer, read whole. `from_cache`: a 304 stood in for this cached one."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    from_cache: bool = False

    def json(self) -> Any:
        return orjson.loads(self.content)


@dataclass(frozen=True)
class _Call:
    method: str
    url: str
    params: Params | None
    json: Any
    headers: Mapping[str, str]
    expect: frozenset[int]
    parse: bool
    scrub: _Scrubber

    @property
    def shown(self) -> str:
        """The request as messages name it: method, URL as given, query."""
        query = str(httpx.QueryParams(self.params)) if self.params else ""
        return f"{self.method} {self.url}{'?' if query else ''}{query}"


@dataclass(frozen=True)
class _Done:
    data: Any
    response: VendorResponse


@dataclass(frozen=True)
class _Failed:
    rule: FailureRule
    message: str
    status_code: int | None = None
    headers: httpx.Headers | None = None


_NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})


class VendorClient:
    """One connection's HTTP: retries, rate-limit pacing, ETag cache and counters.

    Use it as `async with VendorClient(...) as client:`; it owns one httpx.AsyncClient.
    `requests` counts every attempt handed to the transport, retries included.
    """

    def __init__(
        self,
        base_url: str,
        *,
        vendor: str | None = None,
        headers: Mapping[str, str] = _NO_HEADERS,
        secrets: Sequence[str] = (),
        rate_limit: RateLimitPolicy = NO_RATE_LIMIT_HEADERS,
        retry: RetryPolicy = RetryPolicy(),
        cache: ConditionalCache | None = None,
        cache_namespace: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers),
            transport=transport,
            timeout=timeout,
            follow_redirects=True,  # GitHub answers 301 for a transferred issue
        )
        self.vendor = vendor or self._http.base_url.host
        self._scrub = _Scrubber.of(secrets, headers)
        self._rate_limit, self._retry = rate_limit, retry
        self._cache, self._namespace = cache, cache_namespace
        self._sleep, self._clock = sleep, clock
        self._budget = RateLimitState()
        self.requests = self.not_modified = self.retries = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def rate_limit_remaining(self) -> int | None:
        return self._budget.remaining

    @property
    def rate_limit_limit(self) -> int | None:
        return self._budget.limit

    @property
    def rate_limit_reset(self) -> float | None:
        return self._budget.reset

    def now(self) -> float:
        """The client's clock, in epoch seconds."""
        return self._clock()

    async def pause(self, seconds: float) -> None:
        """Wait on the client's clock: for a connector pacing a budget of its own
        vendor's that the client does not track (Linear's complexity points)."""
        await self._sleep(seconds)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: Collection[int] = (),
    ) -> VendorResponse:
        """Send one request; `url` is a path under base_url or an absolute URL of its host.

        Returns a 2xx, a cached answer standing for a 304, or a status in `expect`;
        raises VendorError otherwise, after the retries the failure table allows.
        """
        call = self._call(method, url, params, json, headers, expect, parse=False)
        return (await self._run(call)).response

    async def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: Collection[int] = (),
    ) -> tuple[Any, VendorResponse]:
        """`request()`, plus the parsed body of a 2xx (None for a 204 or an expected error).

        Parsing is part of the attempt, so a truncated body is retried like a 502.
        """
        call = self._call(method, url, params, json, headers, expect, parse=True)
        done = await self._run(call)
        return done.data, done.response

    def _call(
        self,
        method: str,
        url: str,
        params: Params | None,
        json: Any,
        headers: Mapping[str, str] | None,
        expect: Collection[int],
        *,
        parse: bool,
    ) -> _Call:
        headers = headers or {}
        scrub = self._scrub.extended(headers)
        return _Call(method.upper(), url, params, json, headers, frozenset(expect), parse, scrub)

    async def _run(self, call: _Call) -> _Done:
        started, attempt = self._clock(), 1
        while True:
            await self._pace()
            outcome = await self._attempt(call)
            if isinstance(outcome, _Done):
                return outcome
            await self._sleep(self._retry_delay(outcome, attempt, started))
            self.retries += 1
            attempt += 1

    async def _pace(self) -> None:
        """Spread what is left of a low budget evenly until it resets, not hit the wall."""
        budget, now = self._budget, self._clock()
        if budget.remaining is None or budget.limit is None or budget.reset is None:
            return
        if budget.remaining >= self._rate_limit.slow_down_below * budget.limit:
            return
        if budget.reset > now:
            spacing = (budget.reset - now) / max(budget.remaining, 1)
            await self._sleep(min(spacing, self._retry.max_delay))

    async def _attempt(self, call: _Call) -> _Done | _Failed:
        try:
            request = self._build(call)
            key = str(request.url)
            cached = self._conditional(request, key)
            self.requests += 1
            response = await self._http.send(request)
            self._observe(response.headers)
            return self._settle(call, response, key, cached)
        except _CAUGHT as error:
            rule = classify(error)
            name = type(error).__name__
            text = f"{self.vendor}: {call.shown} failed: {rule.advice} ({name}: {error})"
            return _Failed(rule, call.scrub(text))

    def _build(self, call: _Call) -> httpx.Request:
        # No params must mean None: an empty mapping would wipe the query of a Link URL.
        request = self._http.build_request(
            call.method, call.url, params=call.params or None, json=call.json, headers=call.headers
        )
        if _origin(request.url) != _origin(self._http.base_url):
            text = f"{self.vendor}: refusing to send credentials to {call.shown}, another host"
            raise VendorError(call.scrub(text), FailureType.SYSTEM)
        return request

    def _observe(self, headers: httpx.Headers) -> None:
        self._budget = self._budget.updated(self._rate_limit.read(headers, self._clock()))

    def _conditional(self, request: httpx.Request, key: str) -> CachedResponse | None:
        if self._cache is None or request.method != "GET":
            return None
        cached = self._cache.get(self._namespace, key)
        if cached is not None:
            request.headers["If-None-Match"] = cached.etag
        return cached

    def _settle(
        self, call: _Call, response: httpx.Response, key: str, cached: CachedResponse | None
    ) -> _Done | _Failed:
        status = response.status_code
        if status == 304 and cached is not None:
            self.not_modified += 1
            return self._done(call, _from_cache(cached))
        exhausted = self._exhausted(response)
        if status in call.expect or (response.is_success and not exhausted):
            done = self._done(call, _fresh(response))
            self._remember(response, key)  # only once the body parsed, if it had to
            return done
        rule = classify(status, exhausted=exhausted)
        return _Failed(rule, self._status_message(call, response, rule), status, response.headers)

    def _done(self, call: _Call, response: VendorResponse) -> _Done:
        parse = call.parse and response.status_code != 204 and 200 <= response.status_code < 300
        return _Done(response.json() if parse else None, response)

    def _exhausted(self, response: httpx.Response) -> bool:
        """Does this answer say the rate limit is spent, by its headers or in words?"""
        content = response.content
        if response.is_success:
            return b'"errors"' in content and _GRAPHQL_RATE_LIMITED.search(content) is not None
        remaining = _number(response.headers, self._rate_limit.remaining_header)
        return remaining == 0 or _RATE_LIMIT_WORDS.search(content) is not None

    def _remember(self, response: httpx.Response, key: str) -> None:
        if self._cache is None or response.request.method != "GET" or response.status_code != 200:
            return
        etag = response.headers.get("etag")
        if etag is None:
            self._cache.discard(self._namespace, key)
            return
        headers = tuple(response.headers.multi_items())
        entry = CachedResponse(etag, 200, headers, response.content, str(response.url))
        self._cache.put(self._namespace, key, entry)

    def _status_message(self, call: _Call, response: httpx.Response, rule: FailureRule) -> str:
        status = f"{response.status_code} {response.reason_phrase}".rstrip()
        text = f"{self.vendor} answered {status} for {call.shown}: {rule.advice}"
        said = _vendor_says(response.content)
        return call.scrub(f'{text} ({self.vendor} said: "{said}")' if said else text)

    def _retry_delay(self, failed: _Failed, attempt: int, started: float) -> float:
        """How long to wait before the next attempt; raises when there must be none."""
        if failed.rule.action is Action.FAIL:
            raise VendorError(failed.message, failed.rule.failure_type, failed.status_code)
        delay = self._delay(failed, attempt)
        elapsed = self._clock() - started
        if elapsed + delay > self._retry.max_total and failed.rule.action is Action.WAIT:
            raise self._budget_spent(failed, delay)
        if attempt >= self._retry.max_attempts or elapsed + delay > self._retry.max_total:
            text = f"{failed.message}; gave up after {attempt} attempts in {elapsed:.1f} s"
            raise VendorError(text, failed.rule.failure_type, failed.status_code)
        return delay

    def _delay(self, failed: _Failed, attempt: int) -> float:
        now = self._clock()
        retry_after = None if failed.headers is None else _retry_after(failed.headers, now)
        if retry_after is not None:
            return retry_after
        if failed.rule.action is Action.RETRY:
            return self._retry.backoff(attempt)
        if self._budget.remaining == 0 and self._budget.reset is not None:
            return max(self._budget.reset - now, 0.0) + 1.0  # +1 s: clocks differ
        return max(_UNHINTED_RATE_LIMIT_WAIT, self._retry.backoff(attempt))

    def _budget_spent(self, failed: _Failed, delay: float) -> VendorError:
        resets = datetime.fromtimestamp(self._clock() + delay, UTC).strftime("%Y-%m-%d %H:%M:%S")
        text = (
            f"{failed.message}; it resets at {resets} UTC, in {delay:.0f} s, later than one "
            f"request may wait ({self._retry.max_total:.0f} s): sync again after that"
        )
        return VendorError(text, FailureType.RATE_LIMITED, failed.status_code)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _fresh(response: httpx.Response) -> VendorResponse:
    return VendorResponse(
        response.status_code, response.headers, response.content, str(response.url)
    )


def _from_cache(cached: CachedResponse) -> VendorResponse:
    headers = httpx.Headers(list(cached.headers))
    return VendorResponse(cached.status_code, headers, cached.content, cached.url, True)
