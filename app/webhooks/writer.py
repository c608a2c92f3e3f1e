"""Group commit of received webhook deliveries.

A delivery is answered only once its row is committed, so a burst of concurrent
deliveries would each pay for a transaction of its own. Instead each receipt
joins the group being gathered: one INSERT ... ON CONFLICT DO NOTHING for the
whole group, one commit, and then every receipt of the group is answered (new
or duplicate). While a group is written, the next one gathers; with one
delivery at a time a group is that one delivery, so nothing waits for company.
"""

from __future__ import annotations

import asyncio
import logging

from app.db import Database
from app.metrics import WEBHOOK_GROUP_SIZE
from app.webhooks.group_insert import NewDelivery, group_insert_for

log = logging.getLogger(__name__)

Receipt = tuple[NewDelivery, "asyncio.Future[bool]"]
MAX_GROUP = 256  # rows per commit: bounds how long one group holds SQLite's write lock


class DeliveryWriter:
    """`writers` groups may be committing at once (one on SQLite, which has one
    writer anyway): a slow commit then delays only its own group."""

    def __init__(self, database: Database, *, writers: int | None = None) -> None:
        self.writers = writers or (1 if database.is_sqlite else 4)
        self._inserts = group_insert_for(database)
        self._gathering: list[Receipt] = []
        self._flushers: set[asyncio.Task[None]] = set()
        self.commits = 0

    async def store(self, delivery: NewDelivery) -> bool:
        """Commit the delivery unless one with its (connection, delivery id) is
        stored; True when it was new. Raises what the write raised."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._gathering.append((delivery, future))
        if len(self._flushers) < self.writers:
            flusher = asyncio.create_task(self._flush(), name="webhook group commit")
            self._flushers.add(flusher)
            flusher.add_done_callback(self._flushers.discard)
        # A receipt whose client went away must not cancel the group's write.
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until everything received so far is written (at shutdown)."""
        while self._flushers:
            await asyncio.gather(*self._flushers, return_exceptions=True)

    async def close(self) -> None:
        """Drain, then let go of the connections the writes kept."""
        await self.drain()
        await self._inserts.close()

    async def _flush(self) -> None:
        while self._gathering:
            group = self._gathering[:MAX_GROUP]
            del self._gathering[:MAX_GROUP]
            # One order of keys in every group: concurrent groups never deadlock.
            group.sort(key=_key_of_receipt)
            await self._write(group)

    async def _write(self, group: list[Receipt]) -> None:
        try:
            new = await self._inserts.insert([delivery for delivery, _ in group])
        except Exception as error:  # every receipt of the group answers with the failure
            log.warning("storing %d webhook deliveries failed: %r", len(group), error)
            for _, future in group:
                if not future.done():
                    future.set_exception(error)
            return
        self.commits += 1
        WEBHOOK_GROUP_SIZE.observe(len(group))
        for delivery, future in group:
            if not future.done():
                future.set_result(delivery.id in new)


def _key_of_receipt(receipt: Receipt) -> tuple[str, str]:
    return receipt[0].key
