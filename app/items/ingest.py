"""ingest(): THE one write path. Sync jobs and webhooks both end here.

For one batch, in the caller's transaction:
  1. take the connection's write turn (ingests of one connection never interleave);
  2. read the stored state of the batch's items (one query per 1000 ids), and
     turn a full listing of a scope (Presence) into deletions of what it lacks;
  3. plan: newest version wins, older ones are counted stale (app/items/plan.py);
  4. upsert the changed rows in one statement (on PostgreSQL, those of items the
     store never held are copied in: cheaper), tombstone deletions (never a hard
     delete), append one item_event per changed field, and the vendor's own record
     of past changes (Jira's changelog...) once each;
  5. reconcile the links the vendor states, and re-derive the links the changed
     items' data implies (parents, references, label rules: app/links/resolve.py);
  6. re-detect the scope changes of the roadmap items the changed items touch
     (app/scope/track.py);
  7. store the batch's cursor, so it moves only together with the work it covers.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.items.identity import item_id
from app.items.plan import ConnectionRef, IngestCounts, IngestPlan, plan_batch
from app.items.repository import ItemWriteRepository
from app.links.repository import VENDOR, LinkRepository
from app.links.resolve import resolve_links
from app.metrics import INGEST_SECONDS, ITEMS_INGESTED
from app.scope.track import track_scope
from app.sync.repository import CursorRepository
from connectors.base.records import Batch, Deletion, Link, Presence

ORIGINS = ("sync", "webhook", "vendor_changelog")


@dataclass
class IngestResult:
    counts: IngestCounts
    changed_item_ids: set[uuid.UUID] = field(default_factory=set)


async def ingest(
    session: AsyncSession, connection: ConnectionRef, batch: Batch, *, origin: str
) -> IngestResult:
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    with INGEST_SECONDS.time():
        result = await _ingest(session, connection, batch, origin)
    for outcome, count in asdict(result.counts).items():
        ITEMS_INGESTED.labels(connection.kind, origin, outcome).inc(count)
    return result


async def _ingest(
    session: AsyncSession, connection: ConnectionRef, batch: Batch, origin: str
) -> IngestResult:
    writes = ItemWriteRepository(session)
    await writes.serialize_writes(connection.id)
    deletions = [*batch.deletions, *await _absent(writes, connection, batch.presence)]
    external_ids = {r.external_id for r in batch.items} | {d.external_id for d in deletions}
    external_ids |= {change.external_id for change in batch.history}
    stored = await writes.stored_states([item_id(connection.id, e) for e in external_ids])
    plan = plan_batch(connection, origin, stored, list(batch.items), deletions, list(batch.history))
    await writes.upsert(plan.rows.values(), absent=plan.first_seen)
    await writes.tombstone(plan.tombstoned)
    await writes.append_events(plan.events)
    relinked = await _reconcile_vendor_links(LinkRepository(session), connection, batch.links, plan)
    await resolve_links(session, connection.id, plan)
    await track_scope(session, relinked | _touched(plan), _new_below_roadmap(plan))
    if batch.cursor is not None:
        await CursorRepository(session).save(connection.id, batch.cursor.scope, batch.cursor.value)
    return IngestResult(plan.counts, set(plan.rows) | set(plan.tombstoned))


def _touched(plan: IngestPlan) -> dict[uuid.UUID, datetime]:
    """Every item this batch wrote or deleted, with the time of that change."""
    touched = {item: row["source_updated_at"] for item, row in plan.rows.items()}
    return touched | plan.tombstoned


def _new_below_roadmap(plan: IngestPlan) -> set[uuid.UUID]:
    """The items this batch stored for the first time that are not roadmap items."""
    return {item for item in plan.first_seen if plan.rows[item]["kind"] != "roadmap_item"}


async def _absent(
    writes: ItemWriteRepository, connection: ConnectionRef, presence: tuple[Presence, ...]
) -> list[Deletion]:
    """Deletions for the live items of each listed scope that the listing lacks.
    An item changed after the listing began is alive, whatever the list says."""
    gone = []
    for listing in presence:
        live = await writes.live_versions(connection.id, listing.scope)
        gone += [
            Deletion(external_id=external_id, deleted_at=listing.listed_at)
            for external_id, version in live
            if external_id not in listing.external_ids and version <= listing.listed_at
        ]
    return gone


async def _reconcile_vendor_links(
    repository: LinkRepository,
    connection: ConnectionRef,
    stated: tuple[Link, ...],
    plan: IngestPlan,
) -> dict[uuid.UUID, datetime]:
    """Make the active vendor links of each item that states its links in this
    batch equal to what it states now; a tombstoned item states none. The ends of
    every link ended or added, with the time of that change: an item can restate
    its links without any change of its own, and its roadmap items must hear of it."""
    affected = {**plan.link_statements, **plan.tombstoned}
    if not affected:
        return {}
    wanted: dict[uuid.UUID, set[tuple[uuid.UUID, uuid.UUID, str]]] = defaultdict(set)
    for link in stated:
        stating = item_id(connection.id, link.stated_by)
        if stating in plan.link_statements:
            source = item_id(connection.id, link.source_external_id)
            target = item_id(connection.id, link.target_external_id)
            wanted[stating].add((source, target, link.kind))
    ended: dict[uuid.UUID, datetime] = {}
    relinked: dict[uuid.UUID, datetime] = {}
    for row in await repository.active_vendor_links(list(affected)):
        key = (row.source_item_id, row.target_item_id, row.kind)
        at = affected[row.stated_by_item_id]
        if key in wanted[row.stated_by_item_id]:
            wanted[row.stated_by_item_id].discard(key)  # already active: keep it
        else:
            ended[row.id] = relinked[row.source_item_id] = relinked[row.target_item_id] = at
    await repository.end(ended)
    await repository.add(
        [
            {"source_item_id": source, "target_item_id": target, "kind": kind,
             "origin": VENDOR, "stated_by_item_id": stating, "created_at": affected[stating]}
            for stating, keys in wanted.items()
            for source, target, kind in keys
        ]
    )  # fmt: skip
    for stating, keys in wanted.items():
        for source, target, _ in keys:
            relinked[source] = relinked[target] = affected[stating]
    return relinked
