"""Stopping a process without cutting a database statement in half.

Cancelling a task while it waits on the database makes SQLAlchemy terminate
the connection; with aiosqlite that can leave a statement, its thread and the
event loop waiting on each other, and the process never exits. So the units
of database work run to their end (`finish_first`), background loops stop at
their next boundary when asked, and only waits on vendors are cancelled.
A watchdog still ends the process if stopping takes longer than its grace.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

FORCED_EXIT_STATUS = 1


async def finish_first(work: Awaitable[T]) -> T:
    """`work`'s result; a cancellation meanwhile waits for `work` to end, then goes on."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait([task])
        raise


class SignalStop:
    """SIGTERM (what service managers send) or SIGINT asks `request_stop` to
    wind the process down; if it has not exited `grace_seconds` later, or a
    second signal comes, the process exits at once."""

    def __init__(self, request_stop: Callable[[], None], grace_seconds: float) -> None:
        self.request_stop = request_stop
        self.grace_seconds = grace_seconds
        self._asked = False

    def install(self) -> None:
        """Handle both signals, even when the process started with SIGINT
        ignored (a background job of a shell script)."""
        loop = asyncio.get_running_loop()
        for stop in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop, self._on_signal, stop)

    def _on_signal(self, received: signal.Signals) -> None:
        if self._asked:
            _exit_now(f"{received.name} again: exiting without waiting")
        self._asked = True
        log.info("%s: stopping after the work in hand", received.name)
        watchdog = threading.Timer(self.grace_seconds, _exit_now, [self._overdue()])
        watchdog.daemon = True
        watchdog.start()
        self.request_stop()

    def _overdue(self) -> str:
        return f"still stopping after {self.grace_seconds:g} s: exiting without waiting"


def _exit_now(why: str) -> None:
    print(f"bridge: {why}", file=sys.stderr, flush=True)
    os._exit(FORCED_EXIT_STATUS)
