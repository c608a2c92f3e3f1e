"""Property: any sequence of GitHub deliveries for a set of issues, duplicated
(as redeliveries and as repeats under new ids) and shuffled, leaves the store
equal to the newest version of each issue, each change in its history once."""

from __future__ import annotations

import asyncio
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db import Database
from app.main import create_app
from app.models import ItemEvent, WorkItem
from tests.conftest import settings_for, started, wipe
from tests.real_fixtures import load
from tests.webhooks.helpers import add_receiving_connection, post, process_inbox

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
TITLES = ["Fix login", "Fix login now", "Refactor"]
LABELS = ["bug", "ui", "p1"]


def _stamp(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def versions_of(draw: st.DrawFn, number: int) -> list[dict[str, Any]]:
    minutes = sorted(draw(st.lists(st.integers(0, 300), min_size=1, max_size=4, unique=True)))
    base = load("github", "issues.opened.json")["issue"]
    return [
        deepcopy(base)
        | {
            "number": number,
            "title": draw(st.sampled_from(TITLES)),
            "state": draw(st.sampled_from(["open", "closed"])),
            "labels": [{"name": n} for n in draw(st.lists(st.sampled_from(LABELS), unique=True))],
            "updated_at": _stamp(minute),
        }
        for minute in minutes
    ]


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[dict[int, list[dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    issues = {n: draw(versions_of(n)) for n in range(1, draw(st.integers(1, 3)) + 1)}
    sends: list[tuple[str, dict[str, Any]]] = []
    for number, history in issues.items():
        for index, issue in enumerate(history):
            delivery = f"{number}-{index}"
            copies = draw(st.integers(1, 3))  # redeliveries of the same delivery id
            fresh = draw(st.integers(0, 1))  # the same change sent again under a new id
            sends += [(delivery, issue)] * copies + [(f"{delivery}-again", issue)] * fresh
    return issues, draw(st.permutations(sends))


async def _run(db_url: str, issues: dict[int, list[dict[str, Any]]], sends: list[Any]) -> None:
    database = Database(db_url)
    await wipe(database)
    async for client in started(create_app(settings_for(db_url))):
        await add_receiving_connection(client)
        for delivery, issue in sends:
            payload = {"action": "edited", "issue": issue, "repository": {"full_name": "x/y"}}
            assert (await post(client, payload, delivery=delivery)).status_code in (200, 202)
        await process_inbox(db_url)
    async with database.job_session() as session:
        stored = {i.key: i for i in (await session.execute(select(WorkItem))).scalars()}
        events = (await session.execute(select(ItemEvent))).scalars().all()
    await database.dispose()
    for number, history in issues.items():
        newest = history[-1]
        item = stored[f"Codertocat/Hello-World#{number}"]
        assert (item.title, item.status) == (newest["title"], newest["state"])
        assert item.labels == [label["name"] for label in newest["labels"]]
        assert item.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") == newest["updated_at"]
    changes = [(e.item_id, e.field, str(e.old), str(e.new), e.at) for e in events]
    assert len(changes) == len(set(changes)), "no change is recorded twice"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_any_delivery_order_converges(db_url: str, scenario: Any) -> None:
    issues, sends = scenario
    asyncio.run(_run(db_url, issues, sends))
