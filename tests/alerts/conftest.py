"""What the alert tests share: an idea delivered by GitHub issues, and a sender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from app.alerts.delivery import Backoff, Sender
from app.credentials import load_vault
from app.db import Database
from app.items.plan import ConnectionRef
from connectors.base.records import Batch, WorkItem
from tests.conftest import add_connection, settings_for
from tests.factories import work_item
from tests.items.helpers import ingest_one

ISSUE = "https://github.com/acme/api/issues/{}"
TARGET = date(2027, 6, 30)  # after today: the target itself is no risk


def idea(minute: float, target: date | None, *issues: int, key: str = "IDEA-1") -> WorkItem:
    text = "Delivered by " + " ".join(ISSUE.format(n) for n in issues) if issues else "Idea"
    return work_item(key, minute, key=key, kind="roadmap_item", team="product",
                     url=f"https://acme.atlassian.net/browse/{key}", title="Checkout",
                     description=text, due_date=target)  # fmt: skip


@pytest.fixture
async def tools(database: Database) -> dict[str, ConnectionRef]:
    tools = {
        "jira": await add_connection(database, "jira", "jira"),
        "github": await add_connection(database, "gh", "github"),
    }
    tickets = (work_item(7, 0, team="web", estimate=3, due_date=date(2027, 6, 1)),
               work_item(8, 0, team="web", estimate=2, due_date=date(2027, 7, 15)))  # fmt: skip
    await ingest_one(database, tools["github"], Batch(items=tickets))
    await ingest_one(database, tools["jira"], Batch(items=(idea(0, TARGET),)))
    return tools


@pytest.fixture
async def sender(db_url: str, database: Database) -> AsyncIterator[Sender]:
    vault = load_vault(settings_for(db_url))
    async with httpx.AsyncClient(timeout=5) as client:
        yield Sender(database, vault, client, Backoff(0, max_attempts=8), claim_seconds=30)
