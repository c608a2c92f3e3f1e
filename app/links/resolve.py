"""How roadmap items find their tickets: the links ingest derives from item data.

After every ingest, in the same transaction, the derived links stated by each
changed item are made to match what its data says now:
  - parent: an item's parent contains it (parent -> child);
  - reference: a key (`PAY-12`, `ENG-42`), an `owner/repo#N` or the URL of an item
    in the store, named in an item's title or description. The item higher in
    roadmap_item > epic > ticket is the source; two of one level are not linked;
  - rule: a label `<prefix><key or URL>` (prefix `roadmap:` unless the connection's
    settings give `roadmap_label_prefix`) links the named item to the labelled one.
What an item names is kept in item_mentions, so that an item ingested later is
linked to those that named it before it existed. Vendor links (app/items/ingest.py)
and manual links are never touched here.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.items.plan import IngestPlan, Row
from app.items.sql import chunked, id_in, text_in
from app.links.repository import LinkRepository, LinkTriple
from app.models import Connection, ItemMention, WorkItem
from app.models.base import table_of, utcnow

PARENT, REFERENCE, RULE = "parent", "reference", "rule"
DERIVED_ORIGINS = (PARENT, REFERENCE, RULE)
KIND_OF_ORIGIN = {PARENT: "parent", REFERENCE: "mentions", RULE: "delivers"}
DEFAULT_LABEL_PREFIX = "roadmap:"
LEVEL = {"roadmap_item": 2, "epic": 1, "ticket": 0}

# Not inside a word, an address or a host name ("a@PAY-3.io" names nothing).
_KEY = re.compile(r"(?<![\w@./-])[A-Z][A-Z0-9_]{0,9}-[1-9][0-9]{0,8}(?![\w-]|\.\w)")
_REPO_NUMBER = re.compile(r"(?<![\w./-])[\w.-]+/[\w.-]+#[1-9][0-9]{0,8}(?!\w)")
_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`|]+")
_URL_TAIL = ".,;:!?*_~"

mentions_table = table_of(ItemMention)
items_table = table_of(WorkItem)


def mentions_in(text: str | None) -> set[str]:
    """Every key, owner/repo#N and URL a text names, as it would be looked up."""
    if not text:
        return set()
    # Each pattern needs its literal character: most texts skip the scans (ingest
    # runs this over every title and description it writes).
    found = set(_KEY.findall(text)) if "-" in text else set()
    if "#" in text and "/" in text:
        found |= set(_REPO_NUMBER.findall(text))
    if "://" in text:
        found |= {normalized_url(url) for url in _URL.findall(text)}
    return found


def normalized_url(url: str) -> str:
    """A URL as items are found by: no fragment, no trailing punctuation or slash."""
    return url.split("#", 1)[0].rstrip(_URL_TAIL).rstrip("/")


def label_mentions(labels: Iterable[str], prefix: str) -> set[str]:
    named = (label[len(prefix) :].strip() for label in labels if label.startswith(prefix))
    return {normalized_url(name) if "://" in name else name for name in named if name}


@dataclass(frozen=True)
class Named:
    """An item as a mention resolves to it."""

    id: uuid.UUID
    kind: str


async def resolve_links(session: AsyncSession, connection_id: uuid.UUID, plan: IngestPlan) -> None:
    """Re-derive the links stated by every item the plan wrote or tombstoned, and by
    every stored item that named an item which now has a new key or URL."""
    if not plan.rows and not plan.tombstoned:
        return
    prefix = await _label_prefix(session, connection_id)
    written = {item: row for item, row in plan.rows.items() if item not in plan.tombstoned}
    mentions = {item: _mentions_of(row, prefix) for item, row in written.items()}
    stored_before = [i for i in [*written, *plan.tombstoned] if i not in plan.first_seen]
    await _replace_mentions(session, stored_before, mentions)
    namers = await _namers_of(session, [plan.rows[i] for i in plan.newly_named if i in written])
    for item in set(namers) - set(written):
        mentions[item] = namers[item]
    levels = {item: row["kind"] for item, row in written.items()} | await _kinds(
        session, [item for item in mentions if item not in written]
    )
    named = await _lookup(session, {m for found in mentions.values() for m, _ in found})
    wanted = _wanted_links(written, mentions, levels, named)
    await _reconcile(session, plan, set(written) | set(mentions), wanted)


def _mentions_of(row: Row, prefix: str) -> set[tuple[str, str]]:
    text = "\n".join(part for part in (row["title"], row["description"]) if part)
    found = {(m, REFERENCE) for m in mentions_in(text)}
    found |= {(m, RULE) for m in label_mentions(row["labels"], prefix)}
    if not found:
        return found  # most items name nothing: spare working out their own names
    own = {row["key"], normalized_url(row["url"]) if row["url"] else None}
    return {(m, origin) for m, origin in found if m not in own}


async def _label_prefix(session: AsyncSession, connection_id: uuid.UUID) -> str:
    settings = await session.scalar(
        select(Connection.settings).where(Connection.id == connection_id)
    )
    prefix = (settings or {}).get("roadmap_label_prefix", DEFAULT_LABEL_PREFIX)
    return str(prefix) if prefix else DEFAULT_LABEL_PREFIX


async def _replace_mentions(
    session: AsyncSession,
    stored_before: list[uuid.UUID],
    mentions: dict[uuid.UUID, set[tuple[str, str]]],
) -> None:
    """Forget what the items named before (only items stored before can have named
    anything), and keep what they name now."""
    for chunk in chunked(stored_before):
        await session.execute(
            delete(mentions_table).where(id_in(session, mentions_table.c.item_id, chunk))
        )
    rows = [
        {"item_id": item, "mention": mention, "origin": origin}
        for item, found in mentions.items()
        for mention, origin in found
    ]
    if rows:
        await session.execute(mentions_table.insert(), rows)


async def _namers_of(
    session: AsyncSession, rows: list[Row]
) -> dict[uuid.UUID, set[tuple[str, str]]]:
    """Stored items that name one of these rows, with everything they name."""
    names = {row["key"] for row in rows} | {normalized_url(r["url"]) for r in rows if r["url"]}
    namers: set[uuid.UUID] = set()
    for chunk in chunked(sorted(names)):
        query = select(mentions_table.c.item_id).where(
            text_in(session, mentions_table.c.mention, chunk, "names")
        )
        namers.update((await session.execute(query)).scalars())
    found: dict[uuid.UUID, set[tuple[str, str]]] = defaultdict(set)
    for chunk in chunked(sorted(namers)):
        query = select(mentions_table).where(id_in(session, mentions_table.c.item_id, chunk))
        for row in await session.execute(query):
            found[row.item_id].add((row.mention, row.origin))
    return found


async def _kinds(session: AsyncSession, items: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    kinds: dict[uuid.UUID, str] = {}
    for chunk in chunked(items):
        query = select(items_table.c.id, items_table.c.kind).where(
            id_in(session, items_table.c.id, chunk), items_table.c.deleted_at.is_(None)
        )
        kinds.update({row.id: row.kind for row in await session.execute(query)})
    return kinds


async def _lookup(session: AsyncSession, names: set[str]) -> dict[str, list[Named]]:
    """Live items by each name they answer to (their key, their URL)."""
    found: dict[str, list[Named]] = defaultdict(list)
    for chunk in chunked(sorted(names)):
        query = select(
            items_table.c.id, items_table.c.kind, items_table.c.key, items_table.c.url
        ).where(
            or_(
                text_in(session, items_table.c.key, chunk, "keys"),
                text_in(session, items_table.c.url, chunk, "urls"),
            ),
            items_table.c.deleted_at.is_(None),
        )
        for row in await session.execute(query):
            for name in {row.key, normalized_url(row.url) if row.url else None} & set(chunk):
                found[name].append(Named(row.id, row.kind))
    return found


def _wanted_links(
    written: dict[uuid.UUID, Row],
    mentions: dict[uuid.UUID, set[tuple[str, str]]],
    kinds: dict[uuid.UUID, str],
    named: dict[str, list[Named]],
) -> dict[uuid.UUID, set[LinkTriple]]:
    """Per stating item, the (source, target, kind, origin) links its data implies."""
    wanted: dict[uuid.UUID, set[LinkTriple]] = defaultdict(set)
    for item, row in written.items():
        if row["parent_id"] is not None:
            wanted[item].add(LinkTriple(row["parent_id"], item, "parent", PARENT))
    for item, found in mentions.items():
        level = LEVEL.get(kinds.get(item, ""), -1)
        if level < 0:
            continue  # an item deleted meanwhile states nothing
        for mention, origin in found:
            for other in named.get(mention, ()):
                link = _link_between(item, level, other, origin)
                if link is not None:
                    wanted[item].add(link)
    return wanted


def _link_between(item: uuid.UUID, level: int, other: Named, origin: str) -> LinkTriple | None:
    if other.id == item:
        return None
    kind = KIND_OF_ORIGIN[origin]
    if origin == RULE:
        return LinkTriple(other.id, item, kind, origin)
    other_level = LEVEL[other.kind]
    if other_level == level:
        return None
    if other_level > level:
        return LinkTriple(other.id, item, kind, origin)
    return LinkTriple(item, other.id, kind, origin)


async def _reconcile(
    session: AsyncSession,
    plan: IngestPlan,
    stating: set[uuid.UUID],
    wanted: dict[uuid.UUID, set[LinkTriple]],
) -> None:
    """Make the active derived links stated by each item exactly what it wants now."""
    stating |= set(plan.tombstoned)
    now = utcnow()

    def at(item: uuid.UUID) -> datetime:
        if item in plan.tombstoned:
            return plan.tombstoned[item]
        row: dict[str, Any] | None = plan.rows.get(item)
        return row["source_updated_at"] if row else now

    repository = LinkRepository(session)
    ended = {}
    stated_before = sorted(stating - plan.first_seen)  # a new item states nothing yet
    for link in await repository.active_links(stated_before, DERIVED_ORIGINS):
        triple = LinkTriple(link.source_item_id, link.target_item_id, link.kind, link.origin)
        if triple in wanted[link.stated_by_item_id]:
            wanted[link.stated_by_item_id].discard(triple)  # already active: keep it
        else:
            ended[link.id] = at(link.stated_by_item_id)
    await repository.end(ended)
    await repository.add(
        [
            {"source_item_id": t.source, "target_item_id": t.target, "kind": t.kind,
             "origin": t.origin, "stated_by_item_id": item, "created_at": at(item)}
            for item, triples in wanted.items()
            for t in triples
        ]
    )  # fmt: skip
