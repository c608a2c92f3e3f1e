"""The simulated Linear GraphQL API over one World: `POST /graphql`.

    sim = LinearSim(world)          # sim.app is the ASGI app, sim.stats its counters

Every request is parsed and validated against Linear's schema (sim_graphql.py),
its complexity computed and refused over `max_complexity`, and charged to two
leaky buckets per API key, requests and complexity points, that refill at
limit per hour. Every answer carries Linear's rate-limit headers. Errors have
Linear's shape: `{"errors": [{"message", "extensions": {"code", "type", ...}}]}`;
a spent budget answers RATELIMITED with status 400 (or 429: which one Linear
uses is not documented, so it is an option).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.linear import sim_graphql
from connectors.linear.sim_graphql import Context, Listings
from connectors.linear.sim_render import PUBLIC_WEB, Workspace
from connectors.sim.world import World

HOUR = 3600.0
JSON_TYPE = "application/json; charset=utf-8"


class LinearSimOptions(BaseModel):
    """How the simulated Linear behaves. Defaults are Linear's for an API key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests_per_hour: int = Field(default=5_000, ge=1)
    complexity_per_hour: int = Field(default=3_000_000, ge=1)
    max_complexity: int = Field(default=10_000, ge=1)  # of one query
    max_page_size: int = Field(default=250, ge=1)
    # Each key's buckets start with this much left (tests of pacing and exhaustion).
    forced_requests_remaining: int | None = Field(default=None, ge=0)
    forced_complexity_remaining: int | None = Field(default=None, ge=0)
    exhausted_status: Literal[400, 429] = 400
    tokens: frozenset[str] | None = None  # accepted API keys; None accepts any
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)  # share of 502 Bad Gateway
    seed: int = 0  # of the fault rng
    clock: Callable[[], float] = time.time  # epoch seconds, for the buckets
    web_url: str = PUBLIC_WEB


@dataclass
class Bucket:
    """A leaky bucket: `level` points at `at`, refilling at limit per hour."""

    limit: int
    level: float
    at: float

    def remaining(self, now: float) -> float:
        return min(float(self.limit), self.level + (now - self.at) * self.limit / HOUR)

    def take(self, amount: float, now: float) -> None:
        self.level, self.at = self.remaining(now) - amount, now

    def reset_ms(self, now: float) -> int:
        """When the bucket is full again, in epoch milliseconds."""
        missing = self.limit - self.remaining(now)
        return math.ceil((now + missing * HOUR / self.limit) * 1000)


@dataclass
class LinearSimStats:
    """Requests and answers by status, and the complexity points spent."""

    requests: int = 0
    responses: Counter[int] = field(default_factory=Counter)
    complexity: float = 0.0
    largest_query: float = 0.0

    def count(self, status: int | None = None) -> int:
        return self.requests if status is None else self.responses[status]

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "responses": {str(k): v for k, v in sorted(self.responses.items())},
            "complexity": round(self.complexity, 1),
            "largest_query": round(self.largest_query, 1),
        }


def error_body(message: str, code: str, kind: str, **extra: Any) -> dict[str, Any]:
    extensions = {"code": code, "type": kind, "userPresentableMessage": message, **extra}
    return {"errors": [{"message": message, "extensions": extensions}]}


@dataclass(slots=True)
class Reply:
    status: int
    body: dict[str, Any]
    complexity: float | None = None


class LinearSim:
    """The simulated Linear over one World. See the module docstring."""

    def __init__(self, world: World, options: LinearSimOptions | None = None) -> None:
        self.world = world
        self.options = options or LinearSimOptions()
        self.workspace = Workspace(world, web_url=self.options.web_url)
        self.stats = LinearSimStats()
        self._context = Context(
            self.workspace, Listings(self.workspace), self.options.max_page_size
        )
        self._faults = random.Random(self.options.seed)  # noqa: S311 (a simulation)
        self._buckets: dict[str, tuple[Bucket, Bucket]] = {}
        self.app = Starlette(routes=[Route("/graphql", self._serve, methods=["POST"])])
        self.app.state.linear = self

    async def _serve(self, request: Request) -> Response:
        now = self.options.clock()
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        self.stats.requests += 1
        if not token or (self.options.tokens is not None and token not in self.options.tokens):
            said = "Authentication required, not authenticated"
            reply = Reply(401, error_body(said, "AUTHENTICATION_ERROR", "authentication error"))
            return self._respond(reply, None, now)
        requests, points = self._buckets_of(token, now)
        reply = self._answer(await request.body(), requests, points, now)
        return self._respond(reply, (requests, points), now)

    def _answer(self, body: bytes, requests: Bucket, points: Bucket, now: float) -> Reply:
        if requests.remaining(now) < 1:
            return self._rate_limited("requests")
        requests.take(1, now)
        if self.options.error_rate and self._faults.random() < self.options.error_rate:
            return Reply(502, error_body("Bad gateway", "INTERNAL_SERVER_ERROR", "internal error"))
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Reply(400, error_body("Body is not valid JSON", "BAD_REQUEST", "invalid input"))
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return Reply(
                400, error_body("Must provide query string.", "BAD_REQUEST", "invalid input")
            )
        return self._execute(payload, points, now)

    def _execute(self, payload: dict[str, Any], points: Bucket, now: float) -> Reply:
        variables = payload.get("variables") if isinstance(payload.get("variables"), dict) else None
        name = (
            payload.get("operationName") if isinstance(payload.get("operationName"), str) else None
        )
        failed, prepared = sim_graphql.plan(payload["query"], variables, name)
        if failed is not None:
            return Reply(400, _validation_errors(failed.body))
        document, operation, coerced, raw_variables = prepared
        cost = sim_graphql.complexity_of(document, operation, coerced)
        if cost > self.options.max_complexity:
            message = (f"Query too complex - complexity is {cost:.0f} which is greater than the "
                       f"maximum allowed of {self.options.max_complexity}")  # fmt: skip
            return Reply(400, error_body(message, "QUERY_TOO_COMPLEX", "invalid input"), cost)
        if points.remaining(now) < cost:
            return self._rate_limited("complexity", cost)
        points.take(cost, now)
        self.stats.complexity += cost
        self.stats.largest_query = max(self.stats.largest_query, cost)
        self.workspace.refresh()
        return Reply(200, sim_graphql.run(document, name, raw_variables, self._context), cost)

    def _rate_limited(self, budget: str, cost: float | None = None) -> Reply:
        message = f"Rate limit exceeded: the {budget} budget of this API key is spent"
        body = error_body(message, "RATELIMITED", "ratelimited", statusCode=429)
        return Reply(self.options.exhausted_status, body, cost)

    def _buckets_of(self, token: str, now: float) -> tuple[Bucket, Bucket]:
        found = self._buckets.get(token)
        if found is None:
            options = self.options
            found = (
                _bucket(options.requests_per_hour, options.forced_requests_remaining, now),
                _bucket(options.complexity_per_hour, options.forced_complexity_remaining, now),
            )
            self._buckets[token] = found
        return found

    def _respond(self, reply: Reply, buckets: tuple[Bucket, Bucket] | None, now: float) -> Response:
        self.stats.responses[reply.status] += 1
        headers: dict[str, str] = {}
        if buckets is not None:
            for name, bucket in zip(("requests", "complexity"), buckets, strict=True):
                headers[f"x-ratelimit-{name}-limit"] = str(bucket.limit)
                headers[f"x-ratelimit-{name}-remaining"] = str(math.floor(bucket.remaining(now)))
                headers[f"x-ratelimit-{name}-reset"] = str(bucket.reset_ms(now))
        if reply.complexity is not None:
            headers["x-complexity"] = str(math.ceil(reply.complexity))
        return Response(orjson.dumps(reply.body), reply.status, headers, media_type=JSON_TYPE)


def _bucket(limit: int, forced: int | None, now: float) -> Bucket:
    return Bucket(limit, float(limit if forced is None else forced), now)


def _validation_errors(body: dict[str, Any]) -> dict[str, Any]:
    """graphql-core's errors with the extensions Linear adds to a failed validation."""
    errors = []
    for error in body["errors"]:
        extensions = {"code": "GRAPHQL_VALIDATION_FAILED", "type": "graphql error",
                      "userPresentableMessage": error["message"]}  # fmt: skip
        errors.append({**error, "extensions": extensions})
    return {"errors": errors}
