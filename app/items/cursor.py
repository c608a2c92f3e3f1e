"""The opaque cursor of GET /api/v1/items.

Items are listed newest `updated_at` first, and an update moves an item to the
front. So that a walk over the pages neither skips nor repeats an item that
changes while it runs, the cursor remembers the history position (the last
item_events id) at which the walk began: every page places items by their
`updated_at` as of that moment (app/items/service.py).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson

from app.errors import BadRequest


@dataclass(frozen=True)
class Position:
    """Where an item stands in the listing: newest updated_at first, then id."""

    updated_at: datetime
    item_id: uuid.UUID

    def __lt__(self, other: Position) -> bool:
        return (self.updated_at, self.item_id) < (other.updated_at, other.item_id)


@dataclass(frozen=True)
class PageCursor:
    after: Position | None  # None: the first page
    snapshot: int  # item_events.id when the walk began

    def encode(self) -> str:
        assert self.after is not None, "only a page that has a last item gives a cursor"
        payload = [self.after.updated_at.isoformat(), self.after.item_id.hex, self.snapshot]
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> PageCursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            stamp, item, snapshot = orjson.loads(raw)
            after = Position(datetime.fromisoformat(stamp), uuid.UUID(hex=item))
            if after.updated_at.tzinfo is None or not isinstance(snapshot, int):
                raise ValueError(text)
        except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError):
            raise BadRequest("invalid cursor: pass back next_cursor exactly as received") from None
        return cls(after, snapshot)
