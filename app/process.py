"""Tuning of a whole long-running process (`serve`, `worker`, `sync`)."""

from __future__ import annotations

import gc


def tune_gc() -> None:
    """Parsing vendor JSON allocates millions of short-lived objects, and the
    default thresholds spend a tenth of a sync in collections. Start-up objects
    are frozen out of them altogether."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
