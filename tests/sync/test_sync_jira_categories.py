"""Jira status changes move the status category in history, whichever way they
arrive (the changelog of a sync, or a webhook), once each; on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from app.connections import service as connections
from app.connections.schemas import ConnectionCreate
from app.db import Database
from app.digest.service import digest
from app.items.as_of import values_at
from app.models import Connection, ItemEvent, WorkItem
from app.sync.service import run_sync
from connectors.jira.changelog import LATER_IDS
from connectors.jira.hooks import issue_delivery
from connectors.jira.render import JiraFacts
from connectors.sim.world import Change, Issue, World
from tests.sync.simulated import VAULT
from tests.sync.simulated_jira import SIM_ROOT, TOKEN, SimulatedJira, items_of
from tests.webhooks.helpers import WEBHOOK_SECRET, process_inbox

NAME = "acme-jira"
CATEGORY = {"To Do": "todo", "In Progress": "in_progress", "Done": "done"}


def world() -> World:
    return World.generate(seed=5, size="small")


def category(facts: JiraFacts) -> str:
    """What the simulated site's status list and resolutions make of an issue's facts."""
    return "cancelled" if facts.resolution == "Won't Do" else CATEGORY[facts.status]


def in_ms(moment: datetime) -> datetime:
    """A time as Jira shows it: to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def add_jira(database: Database, jira: SimulatedJira) -> None:
    fields = {"name": NAME, "kind": "jira", "base_url": SIM_ROOT, "scopes": jira.scopes()}
    secrets = {"token": TOKEN, "webhook_secret": WEBHOOK_SECRET}
    async with database.job_session() as session:
        await connections.create(session, VAULT, ConnectionCreate.model_validate(fields | secrets))


async def sync(database: Database, jira: SimulatedJira) -> None:
    run = await run_sync(database, VAULT, NAME, http=jira.http)
    assert (run.status, run.error) == ("succeeded", None)


async def deliver(
    client: httpx.AsyncClient, db_url: str, jira: SimulatedJira, change: Change
) -> None:
    delivery = issue_delivery(jira.sim, change, secret=WEBHOOK_SECRET)
    assert delivery is not None
    headers, body = delivery
    response = await client.post(f"/webhooks/{NAME}", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert await process_inbox(db_url) == 1


async def events_of(database: Database, field: str) -> list[tuple[Any, ...]]:
    """(external id, old, new, at, origin, change id) of every event of one field."""
    async with database.job_session() as session:
        rows = await session.execute(
            select(WorkItem.external_id, ItemEvent.old, ItemEvent.new, ItemEvent.at,
                   ItemEvent.origin, ItemEvent.change_id)
            .join(WorkItem, WorkItem.id == ItemEvent.item_id)
            .join(Connection, Connection.id == WorkItem.connection_id)
            .where(Connection.name == NAME, ItemEvent.field == field)
        )  # fmt: skip
        return [tuple(row) for row in rows]


def expected_moves(jira: SimulatedJira) -> list[tuple[str, str, str, datetime]]:
    """(external id, old, new, at) of every category change in the site's changelogs."""
    return sorted(
        (str(issue.id), category(h.old), category(h.new), in_ms(h.at))
        for issue in jira.world.all_issues()
        if not issue.is_pull_request
        for h in jira.sim.changelog.histories(issue)
        if "status" in h.items and category(h.old) != category(h.new)
    )


def open_unassigned(jira: SimulatedJira) -> Issue:
    return next(
        i
        for i in jira.world.all_issues()
        if not i.is_pull_request and i.state == "open" and not i.assignees
    )


def start(jira: SimulatedJira, issue: Issue) -> Change:
    """Assign the issue: the simulated site moves it To Do → In Progress."""
    member = jira.world.teams[jira.world.repo(issue.repo).team].members[0]
    [change] = jira.world.edit_issue(issue.repo, issue.number, assignees=[member])
    return change


async def test_changelog_status_changes_before_the_first_sync_move_the_category(
    database: Database,
) -> None:
    jira = SimulatedJira.of(world())
    await add_jira(database, jira)
    await sync(database, jira)
    stored = sorted(
        (key, old, new, at)
        for key, old, new, at, *_ in await events_of(database, "status_category")
    )
    assert stored == expected_moves(jira)
    assert {"in_progress", "done", "cancelled"} <= {new for _, _, new, _ in stored}


async def test_the_digest_counts_changelog_status_changes(database: Database) -> None:
    jira = SimulatedJira.of(world())
    await add_jira(database, jira)
    await sync(database, jira)
    moves = expected_moves(jira)
    since, until = moves[0][3] - timedelta(seconds=1), jira.world.clock + timedelta(seconds=1)
    async with database.job_session() as session:
        read = await digest(session, since=since, until=until, team=None)
    assert read.totals.done > 0
    assert read.totals.started > 0
    # Each ticket shown done was moved to done by its changelog, at the time shown.
    done = {(key, at) for key, _, new, at in moves if new == "done"}
    stored = await items_of(database, NAME)
    ids = {str(item.id): key for key, item in stored.items()}
    shown = {(ids[ref.id], ref.at) for entry in read.items for ref in entry.done}
    assert shown
    assert shown <= done


async def test_as_of_before_and_after_a_changelog_status_change(database: Database) -> None:
    jira = SimulatedJira.of(world())
    await add_jira(database, jira)
    await sync(database, jira)
    key, _, _, at = next(m for m in expected_moves(jira) if m[1:3] == ("todo", "in_progress"))
    item = (await items_of(database, NAME))[key]
    async with database.job_session() as session:
        before = await values_at(session, [item.id], ["status_category"], at - timedelta(seconds=1))
        after = await values_at(session, [item.id], ["status_category"], at)
    assert before[item.id]["status_category"] == "todo"
    assert after.get(item.id, {}).get("status_category", item.status_category) == "in_progress"


async def test_a_webhook_then_the_sync_record_a_category_change_once(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    jira = SimulatedJira.of(world())
    await add_jira(database, jira)
    await sync(database, jira)
    issue = open_unassigned(jira)
    change = start(jira, issue)
    await deliver(client, db_url, jira, change)
    await sync(database, jira)
    moves = [e for e in await events_of(database, "status_category") if e[0] == str(issue.id)]
    assert [(old, new, origin, change_id) for _, old, new, _, origin, change_id in moves] == [
        ("todo", "in_progress", "webhook", f"{LATER_IDS + change.seq}:status>status_category")
    ]
    statuses = [e for e in await events_of(database, "status") if e[0] == str(issue.id)]
    assert len(statuses) == 1


async def test_the_sync_then_a_webhook_record_a_category_change_once(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    jira = SimulatedJira.of(world())
    await add_jira(database, jira)
    await sync(database, jira)
    issue = open_unassigned(jira)
    change = start(jira, issue)
    await sync(database, jira)
    await deliver(client, db_url, jira, change)
    await deliver(client, db_url, jira, change)  # a replay, under a new delivery id
    moves = [e for e in await events_of(database, "status_category") if e[0] == str(issue.id)]
    assert [(old, new, origin, change_id) for _, old, new, _, origin, change_id in moves] == [
        ("todo", "in_progress", "vendor_changelog",
         f"{LATER_IDS + change.seq}:status>status_category")
    ]  # fmt: skip
    assert moves[0][3] == in_ms(change.at)
