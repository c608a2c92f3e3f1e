"""track_scope(): ARCHITECTURE's ingest step 5, re-detecting the scope changes of
the roadmap items an ingest (or a manual link) touched.

The roadmap items touched are those a changed item is, reaches up active
delivery links, or was reached by at their last computation (so an item
unlinked or deleted still finds the roadmap items it left). Each one is
compared with what was stored after its last computation (scope_states for its
own fields, scope_reach for its tickets); the changes are recorded once (a
change seen again has the same fingerprint), what is stored is brought up to
date, and a first baseline is taken when the item is committed.

Two paths, one result:
  - quick: when every changed item that touches a roadmap item is a leaf ticket
    (one from which no delivery link starts), only those tickets can have moved
    in or out of its scope or changed: they alone are compared and rewritten;
  - whole: otherwise (the item itself, an epic or a link between containers
    changed, or it was never computed) its whole scope is walked again.
The rows of scope_reach also carry what the roadmap's rollup sums (team, due
date): a ticket whose team or due date alone changed has its rows rewritten on
either path, and no scope change is recorded for it (detection compares only
estimates and statuses). The roadmap reads its tallies from these rows.
So the cost grows with what changed, and with the scopes whose structure
changed, not with the size of the store. A batch that touches no roadmap item
costs a few queries per thousand changed items.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import utcnow
from app.scope.baselines import baseline_row, commitment
from app.scope.detect import ItemFields, Scope, ScopeChange, Timing, detect
from app.scope.repository import (
    Reached,
    RoadmapItem,
    ScopeRepository,
    Seed,
    Touched,
    in_scope,
)

ReachWrites = dict[tuple[uuid.UUID, uuid.UUID], Reached | None]


async def track_scope(
    session: AsyncSession,
    touched: dict[uuid.UUID, datetime],
    new: Collection[uuid.UUID] = (),
) -> int:
    """Re-detect the roadmap items `touched` (changed item -> the time it changed)
    reaches; the number of scope changes found. `new`: touched items stored for the
    first time by this change, none of them a roadmap item."""
    repository = ScopeRepository(session)
    if new:
        touched = await _without_unreached(repository, touched, new)
    if not touched:
        return 0
    seeds = await repository.seeds(sorted(touched))
    found = await repository.touched(seeds)
    if not found.roots:
        return 0
    roots = await repository.roadmap_items(sorted(found.roots))
    timings = {root: _timing(root, found.seeds_of(root), touched) for root in roots}
    states = await repository.states(sorted(roots))
    quick = {
        root for root in roots
        if root in states and all(_leaf(seeds.get(s)) for s in found.seeds_of(root))
    }  # fmt: skip
    changes = await _quick(repository, found, seeds, {r: states[r] for r in quick}, timings)
    whole = {root: item for root, item in roots.items() if root not in quick}
    return changes + (await refresh(repository, whole, timings)).changes


async def _without_unreached(
    repository: ScopeRepository, touched: dict[uuid.UUID, datetime], new: Collection[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """`touched` without the new items no roadmap item can reach. Nothing was stored
    for a new item (scope_reach holds only items a walk found stored), and one that
    is not a roadmap item reaches one only over a delivery link into it: without
    such a link it changes no scope, and leaving it out spares its lookups (most
    of a batch of new tickets)."""
    delivered = await repository.delivered(new)
    return {item: at for item, at in touched.items() if item not in new or item in delivered}


def _leaf(seed: Seed | None) -> bool:
    return seed is not None and seed.leaf


async def _quick(
    repository: ScopeRepository,
    found: Touched,
    seeds: dict[uuid.UUID, Seed],
    states: dict[uuid.UUID, ItemFields],
    timings: dict[uuid.UUID, Timing],
) -> int:
    """Compare only the changed leaf tickets of these roots."""
    rows: list[dict[str, Any]] = []
    writes: ReachWrites = {}
    for root, fields in states.items():
        before: dict[uuid.UUID, Reached] = found.stored.get(root, {})
        after: dict[uuid.UUID, Reached] = {}
        for seed in found.seeds_of(root):
            now = seeds[seed].reached if seed in found.now.get(root, ()) else None
            if now is not None:
                after[seed] = now
            if before.get(seed) != now:
                writes[(root, seed)] = now
        changes = detect(Scope.of(in_scope(before), fields), Scope.of(in_scope(after), fields),
                         timings[root])  # fmt: skip
        rows += [change_row(root, change) for change in changes]
    await repository.record(rows)
    await repository.write_reach(writes)
    return len(rows)


@dataclass(frozen=True)
class Refreshed:
    changes: int
    scopes: dict[uuid.UUID, Scope]


async def refresh(
    repository: ScopeRepository,
    roots: dict[uuid.UUID, RoadmapItem],
    timings: dict[uuid.UUID, Timing],
) -> Refreshed:
    """Walk each root's whole scope again and compare it with what is stored."""
    if not roots:
        return Refreshed(0, {})
    observed = await repository.observe(sorted(roots))
    stored = await repository.stored_reach(sorted(roots))
    states = await repository.states(sorted(roots))
    has_baseline = await repository.baselined(sorted(roots))
    rows: list[dict[str, Any]] = []
    baselines = []
    after: dict[uuid.UUID, Scope] = {}
    for root, item in roots.items():
        fields = ItemFields(item.status_category, item.target_date, item.description)
        after[root] = Scope.of(in_scope(observed[root]), fields)
        before = Scope.of(in_scope(stored[root]), states[root]) if root in states else None
        if before is not None:
            rows += [change_row(root, c) for c in detect(before, after[root], timings[root])]
        reason = commitment(before, after[root], item.settings)
        if reason is not None and root not in has_baseline:
            # Taken after every change of this ingest, so none of them counts against it.
            baselines.append(baseline_row(root, after[root], timings[root].default, reason))
    await repository.record(rows)
    await repository.save_states(
        {root: scope.fields for root, scope in after.items() if states.get(root) != scope.fields}
    )
    await repository.write_reach(_differences(stored, observed))
    await repository.add_baselines(baselines)
    return Refreshed(len(rows), after)


def _differences(
    stored: dict[uuid.UUID, dict[uuid.UUID, Reached]],
    observed: dict[uuid.UUID, dict[uuid.UUID, Reached]],
) -> ReachWrites:
    writes: ReachWrites = {}
    for root, now in observed.items():
        before = stored[root]
        writes |= {(root, item): None for item in before.keys() - now.keys()}
        writes |= {(root, item): r for item, r in now.items() if before.get(item) != r}
    return writes


def _timing(root: uuid.UUID, seeds: set[uuid.UUID], touched: dict[uuid.UUID, datetime]) -> Timing:
    """A change is dated by the item whose change it is when that item changed in
    this ingest, else by the latest change here that touched the roadmap item."""
    default = max(touched[seed] for seed in seeds)
    return Timing(default, touched.get(root), {seed: touched[seed] for seed in seeds})


def change_row(root: uuid.UUID, change: ScopeChange) -> dict[str, Any]:
    return {
        "roadmap_item_id": root, "ticket_id": change.ticket, "type": change.type,
        "old": change.old, "new": change.new, "points_delta": change.points_delta,
        "days": change.days, "summary": change.summary, "at": change.at,
        "recorded_at": utcnow(), "fingerprint": change.fingerprint,
    }  # fmt: skip
