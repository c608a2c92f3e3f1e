"""Tuning of a whole long-running process (`serve`, `worker`, `sync`)."""

from __future__ import annotations

import gc


def tune_gc() -> None:
    """Parsing vendor JSON allocates millions of short-lived objects, and the
    default thresholds spend a tenth of a sync in collections. A roadmap answer
    at scale holds ~100,000 live containers (a dict per roadmap item and team):
    at 20,000 the young generation was collected ten times while it was built,
    each time walking what it had built so far (25-50 ms a request); at 100,000,
    once (17 ms). Cycles are rare here: memory is freed by reference counting,
    so the wait costs little memory. Start-up objects are frozen out of
    collections altogether."""
    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
