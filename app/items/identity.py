"""Item ids are derived, not assigned: the same (connection, external id) always
gives the same id, so a parent or link target can be named before it is stored."""

from __future__ import annotations

import uuid
from functools import lru_cache


# Ingest asks for the same ids several times per batch (stored state, row, parent).
@lru_cache(maxsize=65536)
def item_id(connection_id: uuid.UUID, external_id: str) -> uuid.UUID:
    return uuid.uuid5(connection_id, external_id)
