"""SQL helpers every repository shares: id lists that stay fast and small."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, Uuid, any_, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import dialect_of

# Ids per IN (...) list: far below SQLite's bound-parameter limit.
CHUNK = 1000


def id_in(
    session: AsyncSession,
    column: ColumnElement[uuid.UUID],
    ids: Sequence[uuid.UUID],
    name: str = "ids",
) -> ColumnElement[bool]:
    """`column IN ids`. On PostgreSQL as one array parameter: a statement with a
    fixed text, whose cached generic plan still uses the index (an IN list of
    1000 parameters got a cached plan that scanned the whole table); `name` tells
    two such parameters of one statement apart."""
    if dialect_of(session) == "postgresql":
        return column == any_(bindparam(name, list(ids), type_=ARRAY(Uuid())))
    return column.in_(ids)


def chunked(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def text_in(
    session: AsyncSession, column: ColumnElement[str], values: Sequence[str], name: str
) -> ColumnElement[bool]:
    """`column IN values` for text, as `id_in` does it for ids (one array parameter
    on PostgreSQL); `name` tells two such parameters of one statement apart."""
    if dialect_of(session) == "postgresql":
        return column == any_(bindparam(name, list(values), type_=ARRAY(String())))
    return column.in_(values)
