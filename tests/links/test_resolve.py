"""Links derived from item data (parents, references, label rules), across
connections of different tools, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.db import Database
from app.items.identity import item_id
from app.items.plan import ConnectionRef
from app.links.resolve import (
    _KEY,
    _REPO_NUMBER,
    _URL,
    label_mentions,
    mentions_in,
    normalized_url,
)
from app.models import Connection, Link
from app.models import WorkItem as StoredItem
from connectors.base.records import Batch, WorkItem
from tests.conftest import add_connection
from tests.factories import at, deletion, work_item
from tests.items.helpers import ingest_one


def jira(key: str, minute: float = 0, **fields: Any) -> WorkItem:
    return work_item(key, minute, key=key, url=f"https://acme.atlassian.net/browse/{key}", **fields)


async def active(database: Database) -> set[tuple[str, str, str, str]]:
    """(source key, target key, kind, origin) of every active link."""
    async with database.job_session() as session:
        keys = dict((await session.execute(select(StoredItem.id, StoredItem.key))).all())
        links = (await session.execute(select(Link).where(Link.removed_at.is_(None)))).scalars()
        return {
            (keys.get(k.source_item_id, "?"), keys.get(k.target_item_id, "?"), k.kind, k.origin)
            for k in links
        }


@pytest.fixture
async def tools(database: Database) -> dict[str, ConnectionRef]:
    return {
        "jira": await add_connection(database, "jira", "jira"),
        "github": await add_connection(database, "gh", "github"),
        "linear": await add_connection(database, "lin", "linear"),
    }


def test_mentions_found_in_text() -> None:
    text = (
        "Part of PAY-12, see acme/api#7 and https://github.com/acme/web/issues/3#issuecomment-1."
        " Not: utf-8, X-0, PAY-12a, foo/bar#x, email a@PAY-3.io"
    )
    assert mentions_in(text) == {
        "PAY-12", "acme/api#7", "https://github.com/acme/web/issues/3",
    }  # fmt: skip
    assert label_mentions(["roadmap:PAY-1", "bug", "roadmap: ", "roadmap:ENG-2"], "roadmap:") == {
        "PAY-1", "ENG-2",
    }  # fmt: skip


async def test_an_idea_reaches_tickets_in_three_tools(
    database: Database, tools: dict[str, ConnectionRef]
) -> None:
    github_issue = work_item(7, 1)  # acme/api#7, https://github.com/acme/api/issues/7
    await ingest_one(database, tools["github"], Batch(items=(github_issue,)))
    text = "Delivered by PAY-2 and https://github.com/acme/api/issues/7/"
    idea = jira("IDEA-1", 2, kind="roadmap_item", description=text)
    epic = jira("PAY-2", 2, kind="epic")
    story = jira("PAY-3", 2, parent_external_id="PAY-2")
    await ingest_one(database, tools["jira"], Batch(items=(idea, epic, story)))
    linear = work_item("lin-1", 3, key="ENG-9", url="https://linear.app/acme/issue/ENG-9",
                       labels=("roadmap:IDEA-1",))  # fmt: skip
    await ingest_one(database, tools["linear"], Batch(items=(linear,)))
    assert await active(database) == {
        ("IDEA-1", "PAY-2", "mentions", "reference"),
        ("IDEA-1", "acme/api#7", "mentions", "reference"),
        ("PAY-2", "PAY-3", "parent", "parent"),
        ("IDEA-1", "ENG-9", "delivers", "rule"),
    }


async def test_an_item_named_before_it_existed_is_linked_when_it_arrives(
    database: Database, tools: dict[str, ConnectionRef]
) -> None:
    idea = jira("IDEA-1", 1, kind="roadmap_item", description="Needs acme/api#7")
    await ingest_one(database, tools["jira"], Batch(items=(idea,)))
    assert await active(database) == set()
    await ingest_one(database, tools["github"], Batch(items=(work_item(7, 2),)))
    assert await active(database) == {("IDEA-1", "acme/api#7", "mentions", "reference")}


async def test_a_ticket_naming_its_epic_links_from_the_epic(
    database: Database, tools: dict[str, ConnectionRef]
) -> None:
    await ingest_one(database, tools["jira"], Batch(items=(jira("PAY-2", 1, kind="epic"),)))
    ticket = work_item(7, 2, description="Part of PAY-2; duplicate of acme/api#8")
    await ingest_one(database, tools["github"], Batch(items=(ticket, work_item(8, 2))))
    assert await active(database) == {("PAY-2", "acme/api#7", "mentions", "reference")}


async def test_an_edit_that_drops_a_mention_ends_the_link_at_its_time(
    database: Database, tools: dict[str, ConnectionRef]
) -> None:
    await ingest_one(database, tools["github"], Batch(items=(work_item(7, 1),)))
    idea = jira("IDEA-1", 2, kind="roadmap_item", description="acme/api#7")
    await ingest_one(database, tools["jira"], Batch(items=(idea,)))
    edited = jira("IDEA-1", 30, kind="roadmap_item", description="nothing any more")
    await ingest_one(database, tools["jira"], Batch(items=(edited,)))
    assert await active(database) == set()
    async with database.job_session() as session:
        [link] = (await session.execute(select(Link))).scalars()
    assert (link.created_at, link.removed_at) == (at(2), at(30))


async def test_a_deleted_item_states_no_links_and_manual_ones_stay(
    database: Database, tools: dict[str, ConnectionRef]
) -> None:
    await ingest_one(database, tools["github"], Batch(items=(work_item(7, 1),)))
    idea = jira("IDEA-1", 2, kind="roadmap_item", description="acme/api#7")
    await ingest_one(database, tools["jira"], Batch(items=(idea,)))
    async with database.job_session() as session:
        source = item_id(tools["jira"].id, "IDEA-1")
        target = item_id(tools["github"].id, "7")
        session.add(Link(source_item_id=source, target_item_id=target, kind="implements",
                         origin="manual", stated_by_item_id=None, created_at=at(3)))  # fmt: skip
    await ingest_one(database, tools["jira"], Batch(deletions=(deletion("IDEA-1", 40),)))
    assert await active(database) == {("IDEA-1", "acme/api#7", "implements", "manual")}


async def test_a_parent_change_moves_the_child(
    database: Database, tools: dict[str, ConnectionRef]
) -> None:
    epics = (jira("PAY-1", 1, kind="epic"), jira("PAY-2", 1, kind="epic"))
    story = jira("PAY-3", 1, parent_external_id="PAY-1")
    await ingest_one(database, tools["jira"], Batch(items=(*epics, story)))
    moved = jira("PAY-3", 5, parent_external_id="PAY-2")
    await ingest_one(database, tools["jira"], Batch(items=(moved,)))
    assert await active(database) == {("PAY-2", "PAY-3", "parent", "parent")}


async def test_the_label_prefix_is_a_connection_setting(
    database: Database, tools: dict[str, ConnectionRef]
) -> None:
    async with database.job_session() as session:
        await session.execute(
            update(Connection)
            .where(Connection.id == tools["github"].id)
            .values(settings={"roadmap_label_prefix": "initiative/"})
        )
    await ingest_one(
        database, tools["jira"], Batch(items=(jira("IDEA-1", 1, kind="roadmap_item"),))
    )
    labelled = work_item(7, 2, labels=("initiative/IDEA-1", "roadmap:IDEA-1"))
    await ingest_one(database, tools["github"], Batch(items=(labelled,)))
    assert await active(database) == {("IDEA-1", "acme/api#7", "delivers", "rule")}


@given(st.text(alphabet="AZaz09-#/:._@ \nhtps", max_size=80))
def test_the_quick_checks_before_each_scan_miss_nothing(text: str) -> None:
    scanned = set(_KEY.findall(text)) | set(_REPO_NUMBER.findall(text))
    scanned |= {normalized_url(url) for url in _URL.findall(text)}
    assert mentions_in(text) == scanned
