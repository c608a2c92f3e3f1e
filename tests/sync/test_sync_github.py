"""A sync of a GitHub connection against the simulated GitHub API, on both databases."""

from __future__ import annotations

from app.db import Database
from app.sync.service import run_sync
from connectors.sim.world import World
from tests.sync.simulated import VAULT, SimulatedGitHub, add_github, live_titles, pages

N_ISSUES, N_PULLS = 230, 60


async def test_full_sync_stores_every_issue_and_no_pull_request(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", N_ISSUES, N_PULLS))
    await add_github(database, "acme-gh", "acme/api")
    run = await run_sync(database, VAULT, "acme-gh", http=github.http)
    assert (run.status, run.error) == ("succeeded", None)
    assert await live_titles(database) == github.live_issue_titles("acme/api")
    assert run.created == N_ISSUES
    assert run.fetched >= N_ISSUES  # and the overlap the next run starts from, read once more
    assert pages(N_ISSUES + N_PULLS) <= github.list_requests() <= pages(N_ISSUES + N_PULLS) + 1
    assert run.requests == github.list_requests()


async def test_immediate_second_sync_is_answered_304_and_changes_nothing(
    database: Database,
) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", N_ISSUES, N_PULLS))
    await add_github(database, "acme-gh", "acme/api")
    await run_sync(database, VAULT, "acme-gh", http=github.http)
    before = github.list_requests()
    second = await run_sync(database, VAULT, "acme-gh", http=github.http)
    made = github.list_requests() - before
    assert made >= 1
    assert github.sim.stats.not_modified("list_issues") == made
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)


async def test_incremental_sync_stores_exactly_what_changed(database: Database) -> None:
    world = World.single_repo("acme", "api", N_ISSUES, N_PULLS)
    github = SimulatedGitHub.of(world)
    await add_github(database, "acme-gh", "acme/api")
    await run_sync(database, VAULT, "acme-gh", http=github.http)
    changed = [n for n, i in world.repo("acme/api").issues.items() if not i.is_pull_request][:7]
    for number in changed:
        world.edit_issue("acme/api", number, title=f"Changed {number}")
    run = await run_sync(database, VAULT, "acme-gh", http=github.http)
    assert (run.status, run.updated, run.created, run.deleted) == ("succeeded", 7, 0, 0)
    assert await live_titles(database) == github.live_issue_titles("acme/api")


async def test_full_sync_tombstones_a_deleted_issue(database: Database) -> None:
    world = World.single_repo("acme", "api", 40, 5)
    github = SimulatedGitHub.of(world)
    await add_github(database, "acme-gh", "acme/api")
    await run_sync(database, VAULT, "acme-gh", http=github.http)
    victim = next(n for n, i in world.repo("acme/api").issues.items() if not i.is_pull_request)
    world.delete_issue("acme/api", victim)
    incremental = await run_sync(database, VAULT, "acme-gh", http=github.http)
    assert incremental.deleted == 0  # a list never shows what is gone
    full = await run_sync(database, VAULT, "acme-gh", full=True, http=github.http)
    assert full.deleted == 1
    titles = await live_titles(database)
    assert f"acme/api#{victim}" not in titles
    assert titles == github.live_issue_titles("acme/api")


async def test_faults_and_an_exhausted_budget_end_in_the_same_state(database: Database) -> None:
    world = World.single_repo("acme", "api", N_ISSUES, N_PULLS)
    github = SimulatedGitHub.of(world, error_rate=0.2, forced_remaining=2, seed=7)
    await add_github(database, "acme-gh", "acme/api")
    cut_short = await run_sync(database, VAULT, "acme-gh", http=github.http)
    # The budget resets within the hour: too long for one run to wait, so the
    # run stops, keeping what it stored, and says when to come back.
    assert (cut_short.status, cut_short.failure_type) == ("failed", "rate_limited")
    assert cut_short.error is not None
    assert "resets at" in cut_short.error
    assert github.sim.stats.count("list_issues", 502) > 0  # retried, not fatal
    assert 0 < len(await live_titles(database)) < N_ISSUES
    github.clock.now += 3600
    resumed = await run_sync(database, VAULT, "acme-gh", http=github.http)
    assert (resumed.status, resumed.error) == ("succeeded", None)
    assert await live_titles(database) == github.live_issue_titles("acme/api")


async def test_revoked_token_fails_with_a_config_error(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0), revoked=frozenset({"old"}))
    await add_github(database, "acme-gh", "acme/api", token="old")
    run = await run_sync(database, VAULT, "acme-gh", http=github.http)
    assert (run.status, run.failure_type) == ("failed", "config")
    assert run.error is not None
    assert "401" in run.error
    assert "old" not in run.error.replace("Bearer ***", "")
    assert github.list_requests() == 1  # a config error is not retried


async def test_unknown_repository_fails_with_a_config_error(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0))
    await add_github(database, "acme-gh", "acme/nope", token="t")
    run = await run_sync(database, VAULT, "acme-gh", http=github.http)
    assert (run.status, run.failure_type) == ("failed", "config")
    assert run.error is not None
    # A token of one letter is no secret to mask: the message stays readable.
    assert run.error.startswith("GitHub answered 404 Not Found for GET /repos/acme/nope/issues")
    assert run.error is not None
    assert "404" in run.error
