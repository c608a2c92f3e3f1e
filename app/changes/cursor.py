"""The opaque cursor of GET /api/v1/changes: the (at, id) of the last change shown.

History is append-only, so a keyset over (at, id), newest first, neither skips nor
repeats a change while a walk goes on."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

import orjson

from app.errors import BadRequest


@dataclass(frozen=True)
class ChangeCursor:
    at: datetime
    event_id: int

    def encode(self) -> str:
        payload = [self.at.isoformat(), self.event_id]
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> ChangeCursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            stamp, event_id = orjson.loads(raw)
            at = datetime.fromisoformat(stamp)
            if at.tzinfo is None or not isinstance(event_id, int):
                raise ValueError(text)
        except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError):
            raise BadRequest("invalid cursor: pass back next_cursor exactly as received") from None
        return cls(at, event_id)
