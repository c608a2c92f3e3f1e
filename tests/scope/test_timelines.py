"""Scope changes on a hand-built timeline (tests/scope/conftest.py): every
expected figure is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date

import httpx

from app.db import Database
from app.items.identity import item_id
from app.scope.detect import Timing
from app.scope.repository import ScopeRepository
from app.scope.track import refresh, track_scope
from connectors.base.records import Batch, Deletion, Link
from tests.factories import at, work_item
from tests.items.helpers import ingest_one
from tests.scope.conftest import Org, brief, changes, idea, issue, linear, minute_of, scope


def jira(key: str, minute: float, **fields: object) -> object:
    url = f"https://acme.atlassian.net/browse/{key}"
    return work_item(key, minute, key=key, url=url, **fields)


async def test_the_baseline_is_taken_when_the_idea_gets_its_target_date(
    client: httpx.AsyncClient, org: Org
) -> None:
    figures = await scope(client)
    assert figures["baseline_at"] == "2026-03-02T09:02:00Z"
    assert (figures["baseline_tickets"], figures["baseline_points"]) == (3, 10)
    assert await changes(client) == []


async def test_a_ticket_added_then_removed_before_anything_else(
    client: httpx.AsyncClient, org: Org
) -> None:
    await org.send("github", issue(3, 11, estimate=1))
    await org.send("github", issue(3, 12, estimate=1, labels=()))
    assert brief(await changes(client)) == [
        (11, "ticket_added", "acme/api#3", None, 1, 1),
        (12, "ticket_removed", "acme/api#3", 1, None, -1),
    ]
    figures = await scope(client)
    # creep (1 + 0) / 10 = 10%; by count 1 / 3; volatility (1 + 1 + 0) / 3.
    assert (figures["added_tickets"], figures["added_points"]) == (1, 1)
    assert (figures["removed_tickets"], figures["removed_points"]) == (1, 1)
    assert (figures["creep_pct"], figures["creep_count_pct"]) == (10.0, 33.3)
    assert figures["volatility"] == 0.667


async def test_an_estimate_raised_twice(client: httpx.AsyncClient, org: Org) -> None:
    await org.send("github", issue(1, 20, estimate=5))
    await org.send("github", issue(1, 25, estimate=8))
    assert brief(await changes(client)) == [
        (20, "estimate_changed", "acme/api#1", 3, 5, 2),
        (25, "estimate_changed", "acme/api#1", 5, 8, 3),
    ]
    figures = await scope(client)
    # Increases 2 + 3 = 5 on a baseline of 10 points: 50%; nothing added by count.
    assert (figures["estimate_delta_points"], figures["estimate_changes"]) == (5, 2)
    assert (figures["creep_pct"], figures["creep_count_pct"], figures["volatility"]) == (
        50.0, 0.0, 0.667,
    )  # fmt: skip


async def test_a_target_date_moved_back_and_forth(client: httpx.AsyncClient, org: Org) -> None:
    await org.send("jira", idea(30, due=date(2026, 7, 14)))
    await org.send("jira", idea(31, due=date(2026, 6, 30)))
    await org.send("jira", idea(32, due=date(2026, 7, 7)))
    found = await changes(client, type="target_date_moved")
    assert [(minute_of(c["at"]), c["old"], c["new"], c["days"]) for c in reversed(found)] == [
        (30, "2026-06-30", "2026-07-14", 14),
        (31, "2026-07-14", "2026-06-30", -14),
        (32, "2026-06-30", "2026-07-07", 7),
    ]
    figures = await scope(client)
    assert (figures["target_date_moves"], figures["slip_days"]) == (3, 14 - 14 + 7)
    assert (figures["creep_pct"], figures["volatility"]) == (0.0, 0.0)


async def test_a_change_seen_by_webhook_then_by_the_next_sync_is_recorded_once(
    client: httpx.AsyncClient, org: Org
) -> None:
    await org.send("linear", linear(1, 40, estimate=1), origin="webhook")
    await org.send("linear", linear(1, 40, estimate=1), origin="sync")
    assert brief(await changes(client)) == [(40, "estimate_changed", "ENG-1", 2, 1, -1)]
    figures = await scope(client)
    # A decrease: the net delta is -1, and nothing creeps.
    assert (figures["estimate_delta_points"], figures["creep_pct"]) == (-1, 0.0)


async def test_cancelled_and_deleted_tickets_leave_the_scope(
    client: httpx.AsyncClient, org: Org
) -> None:
    await org.send("github", issue(2, 50, estimate=5, status_category="cancelled"))
    batch = Batch(deletions=(Deletion(external_id="lin-1", deleted_at=at(51)),))
    org.log.append(("linear", batch, "sync"))
    await ingest_one(org.database, org.tools["linear"], batch)
    assert brief(await changes(client)) == [
        (50, "ticket_removed", "acme/api#2", 5, None, -5),
        (51, "ticket_removed", "ENG-1", 2, None, -2),
    ]
    figures = await scope(client)
    assert (figures["removed_tickets"], figures["removed_points"]) == (2, 7)


async def test_description_edits_and_a_reopened_ticket(client: httpx.AsyncClient, org: Org) -> None:
    await org.send("jira", idea(55, description="  Checkout with   cards. And bank\ttransfers."))
    await org.send("jira", idea(56, description="Checkout with cards and PayPal."))
    await org.send("linear", linear(1, 60, estimate=2, status_category="done"))
    await org.send("linear", linear(1, 61, estimate=2, status_category="in_progress"))
    found = await changes(client)
    assert [(minute_of(c["at"]), c["type"], c["ticket_key"]) for c in reversed(found)] == [
        (56, "description_changed", None),
        (61, "reopened", "ENG-1"),
    ]
    described = found[1]
    # "cards." -> "cards"; "And bank transfers." -> "and PayPal.": 3 words in, 4 out.
    assert (
        described["summary"]
        == '+3 words, -4 words; +"cards and PayPal."; -"cards. And bank transfers."'
    )
    assert (found[0]["old"], found[0]["new"]) == ("done", "in_progress")
    figures = await scope(client)
    assert (figures["description_changes"], figures["reopened"]) == (1, 1)


async def test_the_whole_timeline_and_its_replay(client: httpx.AsyncClient, org: Org) -> None:
    await org.send("linear", linear(2, 10, estimate=4))  # added: +4
    await org.send("github", issue(3, 11, estimate=1))  # added: +1
    await org.send("github", issue(3, 12, estimate=1, labels=()))  # removed: -1
    await org.send("github", issue(1, 20, estimate=5))  # +2
    await org.send("github", issue(1, 25, estimate=8))  # +3
    await org.send("jira", idea(30, due=date(2026, 7, 14)))  # +14 days
    await org.send("jira", idea(31, due=date(2026, 6, 30)))  # -14 days
    await org.send("linear", linear(1, 40, estimate=1), origin="webhook")  # -1
    await org.send("linear", linear(1, 40, estimate=1))
    await org.send("github", issue(2, 50, estimate=5, status_category="cancelled"))  # -5
    everything = await changes(client)
    assert len(everything) == 9  # the webhook's change and its sync count once
    figures = await scope(client)
    # Baseline 3 tickets, 10 points. Added ENG-2 (4) and #3 (1): 2 tickets, 5 points.
    # Removed #3 (1) and #2 (5): 2, 6. Estimates +2, +3, -1: 3 changes, net 4, up 5.
    # creep (5 + 5) / 10 = 100%; by count 2 / 3 = 66.7%; volatility (2 + 2 + 3) / 3.
    assert figures == figures | {
        "baseline_tickets": 3, "baseline_points": 10, "added_tickets": 2, "added_points": 5,
        "removed_tickets": 2, "removed_points": 6, "estimate_delta_points": 4,
        "estimate_changes": 3, "creep_pct": 100.0, "creep_count_pct": 66.7,
        "target_date_moves": 2, "slip_days": 0, "volatility": 2.333,
    }  # fmt: skip
    for tool, batch, origin in list(org.log):
        await ingest_one(org.database, org.tools[tool], batch, origin)
    assert await changes(client) == everything
    assert await scope(client) == figures


async def test_detecting_twice_records_nothing_new(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    await org.send("linear", linear(2, 10, estimate=4))
    touched = {item_id(org.tools["linear"].id, "lin-2"): at(10)}
    async with database.job_session() as session:
        assert await track_scope(session, touched) == 0
    assert len(await changes(client)) == 1


async def test_tickets_under_a_jira_epic_leave_with_their_parent_or_the_epic(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    delivery = Link(source_external_id="IDEA-1", target_external_id="PAY-1", kind="implements",
                    stated_by="IDEA-1")  # fmt: skip
    epics = (
        idea(70), jira("PAY-1", 70, kind="epic"), jira("PAY-9", 70, kind="epic"),
        jira("PAY-2", 70, parent_external_id="PAY-1", estimate=3),
        jira("PAY-3", 70, parent_external_id="PAY-1", estimate=2),
    )  # fmt: skip
    await ingest_one(database, org.tools["jira"], Batch(items=epics, links=(delivery,)))
    # PAY-2 moves to an epic that delivers nothing; then PAY-1 is deleted.
    await org.send("jira", jira("PAY-2", 71, parent_external_id="PAY-9", estimate=3))
    await ingest_one(database, org.tools["jira"], Batch(deletions=(Deletion(
        external_id="PAY-1", deleted_at=at(72)),)))  # fmt: skip
    assert sorted(brief(await changes(client))) == [  # PAY-2, PAY-3 are added at once
        (70, "ticket_added", "PAY-2", None, 3, 3),
        (70, "ticket_added", "PAY-3", None, 2, 2),
        (71, "ticket_removed", "PAY-2", 3, None, -3),
        (72, "ticket_removed", "PAY-3", 2, None, -2),
    ]


async def test_walking_every_scope_again_finds_nothing_the_quick_path_missed(
    database: Database, org: Org
) -> None:
    await org.send("linear", linear(2, 10, estimate=4))
    await org.send("github", issue(3, 11, estimate=1), issue(1, 12, estimate=5))
    await org.send("github", issue(3, 13, estimate=1, labels=()), issue(2, 13, estimate=8))
    await org.send("linear", linear(1, 14, estimate=2, status_category="cancelled"))
    async with database.job_session() as session:
        repository = ScopeRepository(session)
        roots = await repository.roadmap_items(await repository.all_roadmap_items())
        assert len(roots) == 1
        refreshed = await refresh(repository, roots, {root: Timing(at(99)) for root in roots})
    assert refreshed.changes == 0


async def test_a_ticket_moved_from_one_idea_to_another(client: httpx.AsyncClient, org: Org) -> None:
    other = work_item("IDEA-2", 3, key="IDEA-2", kind="roadmap_item", team="product",
                      url="https://acme.atlassian.net/browse/IDEA-2")  # fmt: skip
    await org.send("jira", other)
    await org.send("github", issue(1, 80, estimate=3, labels=("roadmap:IDEA-2",)))
    moved = [(c["roadmap_item_key"], c["type"], c["ticket_key"]) for c in await changes(client)]
    assert sorted(moved) == [
        ("IDEA-1", "ticket_removed", "acme/api#1"),
        ("IDEA-2", "ticket_added", "acme/api#1"),
    ]


async def test_a_ticket_its_epic_named_before_it_was_ingested_joins_when_it_arrives(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    # The epic states its children before the tracker ever sent one of them: the
    # link waits for PAY-5, which is new when it comes and still in the idea's scope.
    links = (
        Link(source_external_id="IDEA-1", target_external_id="PAY-1", kind="implements",
             stated_by="IDEA-1"),
        Link(source_external_id="PAY-1", target_external_id="PAY-5", kind="contains",
             stated_by="PAY-1"),
    )  # fmt: skip
    batch = Batch(items=(idea(70), jira("PAY-1", 70, kind="epic")), links=links)
    await ingest_one(database, org.tools["jira"], batch)
    await org.send("jira", jira("PAY-5", 75, estimate=4))
    # A new ticket nothing links to changes no scope.
    await org.send("jira", jira("PAY-6", 76, estimate=7))
    assert brief(await changes(client)) == [(75, "ticket_added", "PAY-5", None, 4, 4)]
