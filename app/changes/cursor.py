"""The opaque cursor of GET /api/v1/changes: the (at, id) of the last change shown.

History is append-only, so a keyset over (at, id), newest first, neither skips nor
repeats a change while a walk goes on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.errors import BadRequest
from app.items.cursor import INVALID_CURSOR, decode_cursor, encode_cursor


@dataclass(frozen=True)
class ChangeCursor:
    at: datetime
    event_id: int

    def encode(self) -> str:
        return encode_cursor([self.at.isoformat(), self.event_id])

    @classmethod
    def decode(cls, text: str) -> ChangeCursor:
        try:
            stamp, event_id = decode_cursor(text)
            at = datetime.fromisoformat(stamp)
            if at.tzinfo is None or not isinstance(event_id, int):
                raise ValueError(text)
        except (TypeError, ValueError):
            raise BadRequest(INVALID_CURSOR) from None
        return cls(at, event_id)
