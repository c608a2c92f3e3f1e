"""Syncs of a Jira connection against the simulated Jira Cloud, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import Database
from app.sync.service import run_sync
from connectors.jira.render import idea_id, points_of
from connectors.sim.world import World
from tests.sync.simulated import VAULT
from tests.sync.simulated_jira import (
    SimulatedJira,
    active_links,
    add_jira,
    items_of,
    vendor_events,
)

# Fields whose changelog items become history, as the simulator names them.
KEPT = {"status", "assignee", "points", "sprint", "duedate", "parent"}


def world() -> World:
    return World.generate(seed=5, size="small")


async def synced(database: Database, jira: SimulatedJira, name: str = "acme-jira") -> None:
    await add_jira(database, name, jira.scopes())
    run = await run_sync(database, VAULT, name, http=jira.http)
    assert (run.status, run.error) == ("succeeded", None)


async def test_full_sync_stores_exactly_the_simulators_issues_and_ideas(database: Database) -> None:
    jira = SimulatedJira.of(world())
    await synced(database, jira)
    stored = await items_of(database, "acme-jira")
    assert {key: item.title for key, item in stored.items()} == jira.expected_titles()
    ideas = {str(idea_id(item)) for item in jira.world.roadmap.values()}
    assert {key for key, item in stored.items() if item.kind == "roadmap_item"} == ideas
    issues = {str(i.id): i for i in jira.world.all_issues() if not i.is_pull_request}
    assert {k for k, item in stored.items() if item.kind == "epic"} == {
        k for k, i in issues.items() if i.issue_type == "Epic"
    }
    assert all(stored[k].estimate == points_of(i) for k, i in issues.items())


async def test_search_pages_are_as_few_as_the_page_cap_allows(database: Database) -> None:
    jira = SimulatedJira.of(world(), max_results_heavy=20)
    await synced(database, jira)
    per_project: dict[str, int] = {}
    for entry in jira.sim.entries():
        per_project[entry.project] = per_project.get(entry.project, 0) + 1
    pages = sum(-(-count // 20) for count in per_project.values())
    assert jira.sim.stats.count("search_jql") == pages
    assert [jira.sim.stats.count(name) for name in ("myself", "field", "status")] == [1, 1, 1]
    assert jira.sim.stats.count("search_old") == 0


async def test_ideas_link_to_the_epics_that_deliver_them(database: Database) -> None:
    jira = SimulatedJira.of(world())
    await synced(database, jira)
    expected = {
        (str(idea_id(jira.world.roadmap[issue.roadmap_key])), str(issue.id), "implemented by")
        for issue in jira.world.all_issues()
        if issue.roadmap_key and not issue.is_pull_request
    }
    assert expected
    links = await active_links(database, "acme-jira")
    assert {link for link in links if link[2] == "implemented by"} == expected


@pytest.mark.parametrize("part", ["latest", "oldest"])
async def test_changelog_history_is_stored_even_when_search_truncates_it(
    database: Database, part: str
) -> None:
    jira = SimulatedJira.of(world(), embedded_histories=2, embedded_part=part)
    await synced(database, jira)
    assert jira.sim.stats.count("changelog") > 0
    expected = sorted(
        (str(issue.id), name)
        for issue in jira.world.all_issues()
        if not issue.is_pull_request
        for history in jira.sim.changelog.histories(issue)
        for name in history.items
        if name in KEPT
    )
    events = await vendor_events(database, "acme-jira")
    renamed = {"estimate": "points", "assignees": "assignee", "due_date": "duedate"}
    # Category changes (their own test below) come with status changes.
    stored = sorted(
        (key, renamed.get(field, field))
        for key, field, _, _ in events
        if field != "status_category"
    )
    assert stored == sorted((key, "parent_id" if f == "parent" else f) for key, f in expected)


async def test_incremental_sync_reads_same_minute_changes_in_the_users_zone(
    database: Database,
) -> None:
    # Los Angeles is behind UTC: a cursor sent as UTC wall time would skip hours of changes.
    jira = SimulatedJira.of(world(), time_zone="America/Los_Angeles")
    await synced(database, jira)
    live = [i for i in jira.world.all_issues() if not i.is_pull_request and i.state == "open"]
    for issue in live[:3]:
        jira.world.edit_issue(issue.repo, issue.number, title=f"Renamed {issue.number}")
    run = await run_sync(database, VAULT, "acme-jira", http=jira.http)
    assert (run.status, run.updated, run.created, run.deleted) == ("succeeded", 3, 0, 0)
    # One second later: the same minute as the newest change the last run stored.
    last = live[3]
    assert jira.world.clock + timedelta(seconds=1) < jira.world.clock.replace(second=0) + timedelta(
        minutes=1
    )
    jira.world.edit_issue(
        last.repo, last.number, assignees=[jira.world.teams["payments"].members[0]]
    )
    again = await run_sync(database, VAULT, "acme-jira", http=jira.http)
    assert (again.status, again.updated, again.created) == ("succeeded", 1, 0)
    stored = await items_of(database, "acme-jira")
    assert {key: item.title for key, item in stored.items()} == jira.expected_titles()
    person = jira.world.people[jira.world.teams["payments"].members[0]].name
    assert stored[str(last.id)].assignees == [person]
    history = [
        (f, new)
        for key, f, _, new in await vendor_events(database, "acme-jira")
        if key == str(last.id)
    ]
    assert ("assignees", [person]) in history


async def test_full_sync_tombstones_a_deleted_issue(database: Database) -> None:
    jira = SimulatedJira.of(world())
    await synced(database, jira)
    victim = next(i for i in jira.world.all_issues() if not i.is_pull_request)
    jira.world.delete_issue(victim.repo, victim.number)
    incremental = await run_sync(database, VAULT, "acme-jira", http=jira.http)
    assert incremental.deleted == 0  # a search never shows what is gone
    full = await run_sync(database, VAULT, "acme-jira", full=True, http=jira.http)
    assert (full.status, full.deleted) == ("succeeded", 1)
    assert set(await items_of(database, "acme-jira", deleted=True)) == {str(victim.id)}
    assert set(await items_of(database, "acme-jira")) == set(jira.expected_titles())


async def test_a_429_storm_ends_in_the_state_of_a_clean_run(database: Database) -> None:
    clean = SimulatedJira.of(world())
    storm = SimulatedJira.of(world(), throttle_rate=0.3, seed=11)
    await synced(database, clean, "clean")
    await synced(database, storm, "storm")
    assert sum(storm.sim.stats.throttled.values()) > 0
    assert storm.clock.slept  # it waited as Retry-After asked

    def state(items: dict[str, object]) -> dict[str, tuple[object, ...]]:
        fields = ("title", "status", "status_category", "estimate", "sprint", "due_date", "kind")
        return {key: tuple(getattr(item, f) for f in fields) for key, item in items.items()}

    assert state(await items_of(database, "storm")) == state(await items_of(database, "clean"))
    assert sorted(await vendor_events(database, "storm"), key=repr) == sorted(
        await vendor_events(database, "clean"), key=repr
    )


async def test_settings_map_teams_and_name_fields_and_cancelled_resolutions(
    database: Database,
) -> None:
    jira = SimulatedJira.of(world())
    settings = {
        "teams": {"PAY": "payments"},
        "story_points_field": "customfield_10999",  # not the site's: no estimates read
        "cancelled_resolutions": ["Done"],
    }
    await add_jira(database, "configured", ["PAY"], settings)
    run = await run_sync(database, VAULT, "configured", http=jira.http)
    assert (run.status, run.error) == ("succeeded", None)
    stored = await items_of(database, "configured")
    pay = {str(i.id): i for i in jira.world.all_issues() if not i.is_pull_request
           and jira.world.repo(i.repo).team == "payments"}  # fmt: skip
    assert set(stored) == set(pay)
    assert {item.team for item in stored.values()} == {"payments"}
    assert {item.estimate for item in stored.values()} == {None}
    closed = {key for key, issue in pay.items() if issue.state == "closed"}
    assert {k for k, item in stored.items() if item.status_category == "cancelled"} == closed


async def test_invalid_settings_fail_the_sync_as_a_config_error(database: Database) -> None:
    jira = SimulatedJira.of(world())
    await add_jira(database, "typo", ["PAY"], {"story_point_field": "customfield_1"})
    run = await run_sync(database, VAULT, "typo", http=jira.http)
    assert (run.status, run.failure_type) == ("failed", "config")
    assert run.error is not None
    assert "story_point_field" in run.error


async def test_an_unknown_project_fails_the_sync_as_a_config_error(database: Database) -> None:
    jira = SimulatedJira.of(world())
    await add_jira(database, "unknown", ["PAY", "NOPE"])
    run = await run_sync(database, VAULT, "unknown", http=jira.http)
    assert (run.status, run.failure_type) == ("failed", "config")
    assert run.error is not None
    assert "The value 'NOPE' does not exist for the field 'project'." in run.error
