"""ComplexityPacer: waiting for Linear's complexity bucket before a query, not after."""

from __future__ import annotations

import httpx

from connectors.base.http import VendorClient
from connectors.linear.budget import ComplexityPacer

NOW = 1_800_000_000.0


def answer(remaining: int, limit: int = 3_600_000, cost: int = 5_000) -> httpx.Headers:
    full_in = (limit - remaining) / (limit / 3600)  # a steady refill of limit per hour
    return httpx.Headers({
        "x-ratelimit-complexity-limit": str(limit),
        "x-ratelimit-complexity-remaining": str(remaining),
        "x-ratelimit-complexity-reset": str(int((NOW + full_in) * 1000)),
        "x-complexity": str(cost),
    })  # fmt: skip


async def test_it_goes_on_while_the_bucket_holds_the_next_query() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async with VendorClient("http://x", sleep=sleep, clock=lambda: NOW) as client:
        pacer = ComplexityPacer(client)
        pacer.observe("issues", answer(remaining=100_000))
        await pacer.before_query("issues")
    assert slept == []


async def test_it_waits_for_what_the_next_query_costs_and_a_margin() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async with VendorClient("http://x", sleep=sleep, clock=lambda: NOW) as client:
        pacer = ComplexityPacer(client)
        pacer.observe("issues", answer(remaining=2_250))  # refills 1,000 points a second
        await pacer.before_query("issues")
        assert slept == [4.0]  # 1.25 x 5,000 = 6,250 wanted, 4,000 missing
        assert pacer.remaining == 6_250
        await pacer.before_query("issues")  # it knows it holds enough now
    assert slept == [4.0]


async def test_a_query_never_sent_is_expected_to_cost_its_estimate() -> None:
    async with VendorClient("http://x", clock=lambda: NOW) as client:
        pacer = ComplexityPacer(client)
        pacer.observe("issues", answer(remaining=1_000, cost=800))
        pacer.expect("projects", 4_000)
        pacer.expect("issues", 99)  # known already: the answer said 800
        assert pacer.wait_needed("projects") == 4.0  # 5,000 wanted
        assert pacer.wait_needed("issues") == 0.0
