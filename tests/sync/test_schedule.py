"""When a connection is due (app/sync/schedule.py), decided from its runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.sync.schedule import MAX_BACKOFF, RunFacts, plan_next

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
EDITED = NOW - timedelta(days=30)
INTERVAL = timedelta(minutes=5)


def run(minutes_ago: float, status: str = "succeeded", failure: str | None = None,
        full: bool = False) -> RunFacts:  # fmt: skip
    started = NOW - timedelta(minutes=minutes_ago)
    error = f"{failure} trouble" if failure else None
    return RunFacts(started, started + timedelta(seconds=20), status, failure, error, full)


def test_a_new_connection_is_due_at_once_with_a_full_run() -> None:
    plan = plan_next(interval=INTERVAL, edited_at=EDITED, runs=[], now=NOW)
    assert (plan.due_at, plan.full, plan.paused_because) == (EDITED, True, None)


def test_after_a_success_it_is_due_one_interval_after_the_run_began() -> None:
    plan = plan_next(interval=INTERVAL, edited_at=EDITED, runs=[run(2, full=True)], now=NOW)
    assert (plan.due_at, plan.full) == (NOW - timedelta(minutes=2) + INTERVAL, False)


def test_failures_in_a_row_back_off_exponentially_up_to_a_cap() -> None:
    failed = [run(1, "failed", "transient"), run(10, "failed", "rate_limited"), run(30, full=True)]
    plan = plan_next(interval=INTERVAL, edited_at=EDITED, runs=failed, now=NOW)
    assert plan.due_at == NOW - timedelta(minutes=1) + 4 * INTERVAL
    many = [run(i, "failed", "transient") for i in range(1, 15)]
    capped = plan_next(interval=INTERVAL, edited_at=EDITED, runs=many, now=NOW)
    assert capped.due_at == NOW - timedelta(minutes=1) + MAX_BACKOFF


def test_a_config_failure_pauses_until_the_connection_is_edited() -> None:
    runs = [run(1, "failed", "config"), run(30, full=True)]
    paused = plan_next(interval=INTERVAL, edited_at=EDITED, runs=runs, now=NOW)
    assert paused.due_at is None
    assert paused.paused_because is not None
    assert "config trouble" in paused.paused_because
    edited = plan_next(interval=INTERVAL, edited_at=NOW, runs=runs, now=NOW)
    assert edited.due_at is not None


def test_a_full_run_is_due_daily() -> None:
    runs = [run(3), run(60 * 25, full=True)]
    assert plan_next(interval=INTERVAL, edited_at=EDITED, runs=runs, now=NOW).full is True
    recent = [run(3), run(60 * 5, full=True)]
    assert plan_next(interval=INTERVAL, edited_at=EDITED, runs=recent, now=NOW).full is False


def test_a_run_still_going_does_not_count() -> None:
    going = RunFacts(NOW, None, "running", None, None, False)
    plan = plan_next(interval=INTERVAL, edited_at=EDITED, runs=[going, run(6)], now=NOW)
    assert plan.due_at == NOW - timedelta(minutes=6) + INTERVAL
