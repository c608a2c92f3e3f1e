"""The alert loop of `bridge serve` and `bridge worker`: evaluate, then send.

Why a loop and not a step of ingest(): an alert needs the roadmap's rollup
(links walked, forecasts drawn), which is too costly to compute inside the one
write path after every batch and would slow every sync and webhook; an item
also becomes at risk with no ingest at all, when its target date passes; and a
notification has to be retried minutes later anyway, which needs a loop. Every
`alerts_interval_seconds` the loop compares the roadmap with what each target
saw last (app/alerts/evaluate.py), and between evaluations it sends the alerts
that are due, waking for the next retry. Several processes may run it: state
changes are compare-and-set and sends are claimed, so each alert goes out once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

import httpx

from app.alerts.delivery import Backoff, Sender
from app.alerts.service import evaluate_targets
from app.config import Settings
from app.credentials import CredentialVault
from app.db import Database
from app.graceful import finish_first
from app.models.base import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")


class AlertLoop:
    def __init__(
        self, database: Database, vault: CredentialVault, settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:  # fmt: skip
        self.database = database
        self.vault = vault
        self.interval = settings.alerts_interval_seconds
        self.backoff = Backoff(settings.alert_backoff_seconds, settings.alert_max_attempts)
        self.timeout = settings.alert_timeout_seconds
        self.transport = transport
        self.stopping = False
        self.wakeup = asyncio.Event()

    def stop(self) -> None:
        """Let `run_forever` return after the evaluation or send in hand."""
        self.stopping = True
        self.wakeup.set()

    async def run_forever(self) -> None:
        timeout = httpx.Timeout(self.timeout)
        async with httpx.AsyncClient(timeout=timeout, transport=self.transport) as client:
            # A claim outlives a request, so a sender that dies mid-request is retried.
            sender = Sender(self.database, self.vault, client, self.backoff, 2 * self.timeout + 5)
            evaluate_at = 0.0
            while not self.stopping:
                if time.monotonic() >= evaluate_at:
                    evaluate_at = time.monotonic() + self.interval
                    await _guarded(evaluate_targets(self.database, utcnow()))
                await _guarded(sender.send_due(utcnow()))
                await self._sleep(await _guarded(sender.next_due()), evaluate_at)

    async def _sleep(self, next_due: datetime | None, evaluate_at: float) -> None:
        """Until the next evaluation, or the next retry if sooner, or a stop."""
        wait = evaluate_at - time.monotonic()
        if next_due is not None:
            wait = min(wait, (next_due - utcnow()).total_seconds())
        if wait > 0 and not self.stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), wait)


async def _guarded(work: Coroutine[Any, Any, T]) -> T | None:
    """One round's work, run to its end; a failure is logged and the loop goes
    on (a database that is down for a minute must not end alerting for good)."""
    try:
        return await finish_first(work)
    except Exception:  # the loop outlives one failed round; the log has the details
        log.exception("alert round failed; trying again at the next one")
        return None
