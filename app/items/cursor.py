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
from typing import Any

import orjson

from app.errors import BadRequest

INVALID_CURSOR = "invalid cursor: pass back next_cursor exactly as received"


def encode_cursor(payload: list[Any]) -> str:
    """An opaque, URL-safe cursor of a JSON list."""
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(text: str) -> Any:
    """What `encode_cursor` encoded; BadRequest for anything else."""
    try:
        return orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        raise BadRequest(INVALID_CURSOR) from None


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
        return encode_cursor(payload)

    @classmethod
    def decode(cls, text: str) -> PageCursor:
        try:
            stamp, item, snapshot = decode_cursor(text)
            after = Position(datetime.fromisoformat(stamp), uuid.UUID(hex=item))
            if after.updated_at.tzinfo is None or not isinstance(snapshot, int):
                raise ValueError(text)
        except (TypeError, ValueError):
            raise BadRequest(INVALID_CURSOR) from None
        return cls(after, snapshot)
