"""Linear's second budget: complexity points per hour, beside requests per hour.

VendorClient paces requests by the requests budget (LINEAR_RATE_LIMIT). A Linear
key also has a leaky bucket of complexity points, reported in the
x-ratelimit-complexity-* headers with the cost of each query in x-complexity.
Before each query, ComplexityPacer waits until the bucket holds what the same
query cost last time (Linear prices a query by its page sizes, not by what it
finds, so that is what it will cost again), with a margin, instead of spending
the bucket to the end and being refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import httpx

from connectors.base.http import RateLimitPolicy, ResetFormat, VendorClient

COMPLEXITY: Final = RateLimitPolicy(
    "x-ratelimit-complexity-remaining",
    "x-ratelimit-complexity-reset",
    "x-ratelimit-complexity-limit",
    ResetFormat.EPOCH_MILLISECONDS,
)
COST_HEADER = "x-complexity"
MARGIN = 1.25  # what the next query costs, and a quarter more in hand
LONGEST_PAUSE = 300.0  # seconds; past that, let the vendor say no and the client wait


@dataclass
class ComplexityPacer:
    client: VendorClient
    remaining: float | None = None
    limit: float | None = None
    reset: float | None = None  # epoch seconds when the bucket is full
    costs: dict[str, float] = field(default_factory=dict)  # by query name
    paused: float = 0.0  # seconds spent waiting, in all

    def observe(self, query: str, headers: httpx.Headers) -> None:
        state = COMPLEXITY.read(headers, self.client.now())
        self.remaining, self.limit, self.reset = state.remaining, state.limit, state.reset
        cost = headers.get(COST_HEADER)
        if cost is not None and cost.replace(".", "", 1).isdigit():
            self.costs[query] = float(cost)

    def expect(self, query: str, cost: float) -> None:
        """What `query` should cost before it is first sent (its answer says for sure)."""
        self.costs.setdefault(query, cost)

    def wait_needed(self, query: str) -> float:
        """Seconds until the bucket refills to MARGIN x what `query` costs (0: go on)."""
        short = self._shortfall(query)
        per_second = self._refill_rate()
        if short <= 0 or per_second is None:
            return 0.0
        return min(short / per_second, LONGEST_PAUSE)

    def _shortfall(self, query: str) -> float:
        if self.remaining is None or self.limit is None:
            return 0.0
        return min(self.costs.get(query, 0.0) * MARGIN, self.limit) - self.remaining

    def _refill_rate(self) -> float | None:
        """Points per second: the bucket is full at `reset`, refilling at a steady rate."""
        if self.remaining is None or self.limit is None or self.reset is None:
            return None
        now = self.client.now()
        if self.reset <= now or self.remaining >= self.limit:
            return None
        return (self.limit - self.remaining) / (self.reset - now)

    async def before_query(self, query: str) -> None:
        seconds = self.wait_needed(query)
        if seconds <= 0:
            return
        refilled = seconds * (self._refill_rate() or 0.0)
        self.paused += seconds
        await self.client.pause(seconds)
        # What the bucket holds now (the reset stays when it was), until an answer says.
        if self.remaining is not None and self.limit is not None:
            self.remaining = min(self.limit, self.remaining + refilled)
