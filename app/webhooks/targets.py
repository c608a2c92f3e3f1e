"""Which connection a webhook is for, and how to verify it, kept for a few seconds.

Every delivery needs its connection's kind and opened webhook secret before it is
verified. Reading and decrypting them per request would cost more than storing the
delivery, so they are kept for `ttl` seconds per connection name. An edit or removal
through this process's API forgets the entry at once; another process sees it at
the latest `ttl` seconds later. When an entry expires under load, the requests
that find it gone share one read instead of each reading and decrypting it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from app.connections.service import connector_config
from app.credentials import CredentialVault
from app.db import Database
from app.errors import NotFound
from connectors import get_connector
from connectors.base.contract import ConnectionConfig, Connector
from connectors.base.http import VendorError

TTL_SECONDS = 5.0


@dataclass(frozen=True)
class WebhookTarget:
    connection_id: uuid.UUID
    connector: type[Connector]
    config: ConnectionConfig


class WebhookTargets:
    def __init__(
        self,
        database: Database,
        vault: CredentialVault,
        *,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.vault = vault
        self.ttl = ttl
        self.clock = clock
        self._kept: dict[str, tuple[float, WebhookTarget]] = {}
        self._reads: dict[str, asyncio.Future[WebhookTarget]] = {}

    async def get(self, name: str) -> WebhookTarget:
        """The live connection `name` as a webhook target; NotFound when there is none
        or its kind takes no webhooks. Unknown names are not kept: a connection added
        a moment ago receives at once."""
        kept = self._kept.get(name)
        if kept is not None and kept[0] > self.clock():
            return kept[1]
        read = self._reads.get(name)
        if read is None:
            read = self._reads[name] = asyncio.ensure_future(self._read(name))
            read.add_done_callback(partial(self._keep, name))
        # Shielded: a request that goes away must not cancel the others' read.
        return await asyncio.shield(read)

    def forget(self, name: str) -> None:
        self._kept.pop(name, None)
        self._reads.pop(name, None)  # a read in flight may predate the edit: not kept

    def _keep(self, name: str, read: asyncio.Future[WebhookTarget]) -> None:
        if self._reads.get(name) is not read:
            return  # forgotten while it was read
        del self._reads[name]
        if not read.cancelled() and read.exception() is None:
            self._kept[name] = (self.clock() + self.ttl, read.result())

    async def _read(self, name: str) -> WebhookTarget:
        async with self.database.request_session(writes=False) as session:
            connection, config = await connector_config(session, self.vault, name)
        try:
            connector = get_connector(connection.kind)
        except VendorError:
            raise NotFound(
                f"{name} is a {connection.kind} connection: no webhooks for it yet"
            ) from None
        return WebhookTarget(connection.id, connector, config)
