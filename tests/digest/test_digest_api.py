"""GET /api/v1/digest over the hand-built timeline of tests/digest/timeline.py,
on both databases. Expected values are read off the timeline by hand."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.db import Database
from app.items.plan import ConnectionRef
from tests.digest.timeline import SINCE, build

IDEA_1_REASON = "target date passed with work open"  # 2026-07-10 is long gone, ENG-2 is open


@pytest.fixture
async def timeline(database: Database) -> dict[str, ConnectionRef]:
    return await build(database)


async def _digest(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/api/v1/digest", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _keys(refs: list[dict[str, Any]]) -> list[str]:
    return [ref["key"] for ref in refs]


async def test_each_kind_of_news_of_an_idea_delivered_in_three_tools(
    client: httpx.AsyncClient, timeline: dict[str, ConnectionRef]
) -> None:
    body = await _digest(client, since=SINCE.isoformat())
    assert body["since"] == "2026-03-02T10:00:00Z"
    # IDEA-2 names nothing and has no target: no news, not at risk, not shown.
    [entry] = body["items"]
    assert entry["item"]["key"] == "IDEA-1"
    assert _keys(entry["done"]) == ["acme/api#8"]
    assert entry["done"][0]["at"] == "2026-03-02T10:20:00Z"
    assert _keys(entry["started"]) == ["acme/api#7"]  # started, then left the scope
    assert _keys(entry["added"]) == ["ENG-2"]  # ENG-3 came and went inside the period
    assert _keys(entry["removed"]) == ["ENG-1", "acme/api#7"]  # cancelled; unlinked
    assert [(s["old"], s["new"], s["days"]) for s in entry["slipped"]] == [
        ("2026-06-30", "2026-07-14", 14), ("2026-07-14", "2026-07-10", -4),
    ]  # fmt: skip
    assert entry["slip_days"] == 10
    assert entry["at_risk"] is True
    assert IDEA_1_REASON in entry["risk_reasons"]
    assert body["totals"] == {
        "done": 1, "started": 1, "added": 1, "removed": 2, "slipped": 1, "at_risk": 1,
    }  # fmt: skip


async def test_a_later_start_sees_only_what_happened_after_it(
    client: httpx.AsyncClient, timeline: dict[str, ConnectionRef]
) -> None:
    # From 10:44 (minute 104): ENG-3 was in the scope then and is not now; ENG-1 cancelled.
    entry = (await _digest(client, since="2026-03-02T10:44:00"))["items"][0]
    assert (_keys(entry["done"]), _keys(entry["started"]), _keys(entry["added"])) == ([], [], [])
    assert _keys(entry["removed"]) == ["ENG-1", "ENG-3"]
    assert (entry["slip_days"], len(entry["slipped"])) == (-4, 1)


async def test_a_team_sees_its_own_tickets(
    client: httpx.AsyncClient, timeline: dict[str, ConnectionRef]
) -> None:
    body = await _digest(client, since=SINCE.isoformat(), team="web")
    [entry] = body["items"]
    assert (_keys(entry["done"]), _keys(entry["started"])) == (["acme/api#8"], ["acme/api#7"])
    assert (_keys(entry["added"]), _keys(entry["removed"])) == ([], ["acme/api#7"])
    assert body["totals"] == {
        "done": 1, "started": 1, "added": 0, "removed": 1, "slipped": 1, "at_risk": 1,
    }  # fmt: skip
    assert (await _digest(client, since=SINCE.isoformat(), team="nobody"))["items"] == []


async def test_a_date_means_midnight_utc_and_before_everything_all_is_news(
    client: httpx.AsyncClient, timeline: dict[str, ConnectionRef]
) -> None:
    # Since 2026-03-01 nothing existed yet: everything IDEA-1 delivers now was added.
    entry = (await _digest(client, since="2026-03-01"))["items"][0]
    assert _keys(entry["added"]) == ["ENG-2", "acme/api#8"]
    assert entry["removed"] == []
    assert entry["slip_days"] == 25  # 2026-06-15 → 2026-07-10


async def test_markdown(client: httpx.AsyncClient, timeline: dict[str, ConnectionRef]) -> None:
    response = await client.get(
        "/api/v1/digest", params={"since": SINCE.isoformat(), "format": "markdown"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Digest: 2026-03-02 10:00 to ")
    assert "**1 done · 1 started · 1 added · 2 removed · 1 slipped · 1 at risk**" in text
    assert "## [IDEA-1](https://acme.atlassian.net/browse/IDEA-1) Issue IDEA-1" in text
    assert "- Target date moved 2026-06-30 → 2026-07-14 (+14 days)" in text
    assert "- Added (1): [ENG-2 Issue ENG-2](https://linear.app/acme/issue/ENG-2)" in text


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2999-01-01", "0h5", "3y"])
async def test_bad_since_is_422(client: httpx.AsyncClient, since: str) -> None:
    response = await client.get("/api/v1/digest", params={"since": since})
    assert response.status_code == 422
    assert since in response.json()["detail"]


async def test_default_is_the_last_seven_days(
    client: httpx.AsyncClient, timeline: dict[str, ConnectionRef]
) -> None:
    body = await _digest(client)
    # The timeline is in March; now is later. Only IDEA-1's risk is news.
    assert [entry["item"]["key"] for entry in body["items"]] == ["IDEA-1"]
    assert body["totals"] == {
        "done": 0, "started": 0, "added": 0, "removed": 0, "slipped": 0, "at_risk": 1,
    }  # fmt: skip
