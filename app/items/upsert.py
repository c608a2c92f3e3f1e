"""The upsert of work_items, handed to the database driver directly.

Ingest writes its rows a batch at a time (about a thousand rows of 32 columns).
Through SQLAlchemy's executemany every row also costs a parameter dictionary
built column by column (5-8 us a row, a tenth of ingest's CPU for a batch of new
items on PostgreSQL). Here the statement is compiled once per dialect, and
each row becomes the list of values the driver takes, converted by the very
bind processors SQLAlchemy would apply; the bookkeeping times, the same for a
whole batch, are converted once per batch. On PostgreSQL the rows the caller
knows are absent go in by COPY instead (asyncpg's binary copy, the same values).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import WorkItem
from app.models.base import table_of

items = table_of(WorkItem)

# Columns an upsert never overwrites: identity and first sighting.
KEEP_ON_CONFLICT = frozenset({"id", "connection_id", "external_id", "first_seen_at"})
# Set by the upsert itself, the same for every row of a batch: they come last.
BOOKKEEPING = ("first_seen_at", "last_written_at")

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class DriverUpsert:
    """The compiled upsert and how a planned row becomes its driver parameters."""

    sql: str
    columns: tuple[str, ...]  # the columns of the parameters, in order
    copies: bool  # whether the driver can COPY rows in (asyncpg)
    values_of: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # a row's values, in order
    conversions: tuple[tuple[int, Processor], ...]  # (position, bind processor)
    bookkeeping: tuple[Processor | None, ...]  # the processor of each BOOKKEEPING column

    def parameters(self, rows: Iterable[Mapping[str, Any]], now: datetime) -> list[tuple[Any, ...]]:
        tail = tuple(now if convert is None else convert(now) for convert in self.bookkeeping)
        parameters = []
        for row in rows:
            values = list(self.values_of(row))
            for position, convert in self.conversions:
                values[position] = convert(values[position])
            parameters.append((*values, *tail))
        return parameters


async def upsert_rows(
    session: AsyncSession,
    rows: Iterable[Mapping[str, Any]],
    now: datetime,
    absent: Container[uuid.UUID] = frozenset(),
) -> None:
    """Insert or update whole work_items rows (a stored newer version is kept).

    `absent`: ids the caller knows have no row, and that no one else can insert
    before it commits (ingest's write turn). On PostgreSQL those rows are copied
    in with COPY, which costs the server a third less than an upsert per row; a
    row there after all fails the copy, and with it the transaction."""
    connection = await session.connection()
    upsert = driver_upsert(connection.dialect)
    rows = list(rows)
    copied = [row for row in rows if row["id"] in absent] if upsert.copies else []
    if copied:
        rows = [row for row in rows if row["id"] not in absent]
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None, "an open connection has its driver's connection"
        await driver.copy_records_to_table(
            items.name, records=upsert.parameters(copied, now), columns=upsert.columns
        )
    parameters = upsert.parameters(rows, now)
    if parameters:
        await connection.exec_driver_sql(upsert.sql, parameters)


@lru_cache(maxsize=16)  # one entry per engine: its dialect holds its JSON serializer
def driver_upsert(dialect: Dialect) -> DriverUpsert:
    compiled = _statement(dialect.name).compile(
        dialect=dialect, column_keys=[c.name for c in items.c]
    )
    names = list(compiled.positiontup or ())
    row_names = names[: -len(BOOKKEEPING)]
    if tuple(names[-len(BOOKKEEPING) :]) != BOOKKEEPING or len(names) != len(items.c):
        raise RuntimeError(f"unexpected parameter order of the work_items upsert: {names}")
    processors = [_processor(compiled.binds[name].type, dialect) for name in names]
    return DriverUpsert(
        sql=compiled.string,
        columns=tuple(names),
        copies=dialect.driver == "asyncpg",
        values_of=itemgetter(*row_names),
        conversions=tuple(
            (position, convert)
            for position, convert in enumerate(processors[: len(row_names)])
            if convert is not None
        ),
        bookkeeping=tuple(processors[len(row_names) :]),
    )


def _statement(dialect: str) -> Any:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(items)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[items.c.id],
        set_={c.name: excluded[c.name] for c in items.c if c.name not in KEEP_ON_CONFLICT},
        # Belt and braces under serialize_writes: never replace a newer version.
        where=items.c.source_updated_at <= excluded.source_updated_at,
    )


def _processor(type_: Any, dialect: Dialect) -> Processor | None:
    """The bind processor SQLAlchemy applies to a value of this type."""
    convert: Processor | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return convert
