"""The opaque cursor of GET /api/v1/changes: the (at, id) of the last change shown.

History is append-only, so a keyset over (at, id), newest first, neither skips nor
repeats a change while a walk goes on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, SQLColumnExpression, and_, or_

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


def cursor_past(rows: Sequence[Sequence[Any]], limit: int) -> str | None:
    """The cursor on from a page of `limit` rows read as `limit + 1` (each row's first
    element has `at` and `id`), or None when nothing follows."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1][0]
    return ChangeCursor(last.at, last.id).encode()


Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def newest_first_window(
    query: Query,
    at: SQLColumnExpression[datetime],
    row_id: SQLColumnExpression[int],
    *,
    since: datetime | None,
    until: datetime | None,
    after: ChangeCursor | None,
) -> Query:
    """`query` ordered newest first by (at, id), kept to [since, until) and to the
    rows after the cursor's: the keyset both change feeds page through."""
    query = query.order_by(at.desc(), row_id.desc())
    if since is not None:
        query = query.where(at >= since)
    if until is not None:
        query = query.where(at < until)
    if after is not None:
        query = query.where(or_(at < after.at, and_(at == after.at, row_id < after.event_id)))
    return query
