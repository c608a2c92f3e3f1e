"""When a connection should sync next. Pure: facts about its recent runs in,
a plan out; the scheduler (app/sync/jobs.py) and the API's status both ask it.

- Every `interval` after the last run started, while runs succeed.
- After k failures in a row (transient, rate-limited, system): interval * 2^k,
  at most MAX_BACKOFF, so a failing vendor is not hammered.
- After a config failure (bad token, unknown scope): never, until the
  connection is edited; the user must act, and retrying cannot help.
- Right after an edit, whatever came before: the edit may be the fix.
- A full run (which reconciles deletions) when none succeeded within
  `full_every`, and for the first run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=6)
DEFAULT_FULL_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class RunFacts:
    started_at: datetime
    finished_at: datetime | None
    status: str
    failure_type: str | None
    error: str | None
    full: bool


@dataclass(frozen=True)
class SyncPlan:
    due_at: datetime | None  # None: paused
    full: bool
    paused_because: str | None = None


def plan_next(
    *,
    interval: timedelta,
    edited_at: datetime,
    runs: Sequence[RunFacts],
    now: datetime,
    full_every: timedelta = DEFAULT_FULL_EVERY,
) -> SyncPlan:
    """`runs` newest first; a run still going counts once it has finished."""
    finished = [run for run in runs if run.finished_at is not None]
    if not finished:  # due since it was set up
        return SyncPlan(due_at=edited_at, full=True)
    last = finished[0]
    assert last.finished_at is not None
    full = _full_due(finished, now, full_every)
    if edited_at > last.finished_at:  # an edit may have fixed what failed: try it at once
        return SyncPlan(due_at=edited_at, full=full)
    if last.failure_type == "config":
        reason = f"the last sync failed: {last.error}; edit the connection to try again"
        return SyncPlan(due_at=None, full=False, paused_because=reason)
    failures = _failures_in_a_row(finished)
    delay = min(interval * 2**failures, max(MAX_BACKOFF, interval))
    return SyncPlan(due_at=last.started_at + delay, full=full)


def _failures_in_a_row(finished: Sequence[RunFacts]) -> int:
    count = 0
    for run in finished:
        if run.status != "failed":
            break
        count += 1
    return count


def _full_due(finished: Sequence[RunFacts], now: datetime, full_every: timedelta) -> bool:
    last_full = next((r for r in finished if r.full and r.status == "succeeded"), None)
    return last_full is None or now - last_full.started_at >= full_every
