"""track_scope(): ARCHITECTURE's ingest step 5, re-detecting the scope changes of
the roadmap items an ingest (or a manual link) touched.

Only the roadmap items touched are recomputed: those a changed item is, reaches
up active delivery links, or was reached by at their last computation (so an
item unlinked or deleted still finds the roadmap items it left). Each one's scope
now is compared with the state stored after its last computation; the changes
are recorded (once: a change seen again has the same fingerprint), the state and
reach replaced, and a first baseline taken when the item is committed. The cost
grows with the changed items and the scopes of the roadmap items they touch,
not with the size of the store. A batch that touches no roadmap item costs one
query per thousand changed items.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import utcnow
from app.scope.baselines import baseline_row, commitment
from app.scope.detect import Scope, ScopeChange, Timing, detect
from app.scope.repository import Observed, RoadmapItem, ScopeRepository


async def track_scope(session: AsyncSession, touched: dict[uuid.UUID, datetime]) -> int:
    """Re-detect the roadmap items `touched` (changed item -> the time it changed)
    reaches; the number of scope changes found."""
    if not touched:
        return 0
    repository = ScopeRepository(session)
    seeds_of = await repository.roots_touched(sorted(touched))
    if not seeds_of:
        return 0
    roots = await repository.roadmap_items(sorted(seeds_of))
    timings = {root: _timing(root, seeds_of[root], touched) for root in roots}
    return await refresh(repository, roots, timings)


async def refresh(
    repository: ScopeRepository,
    roots: dict[uuid.UUID, RoadmapItem],
    timings: dict[uuid.UUID, Timing],
) -> int:
    """Compare each root's scope now with its stored state and keep the result."""
    observed = await repository.observe(sorted(roots))
    before = await repository.states(sorted(roots))
    has_baseline = await repository.baselined(sorted(roots))
    found: list[ScopeChange] = []
    rows: list[dict[str, Any]] = []
    baselines = []
    after = {}
    for root, item in roots.items():
        after[root] = scope_of(item, observed[root])
        if root in before:
            changes = detect(before[root], after[root], timings[root])
            found += changes
            rows += [change_row(root, change) for change in changes]
        reason = commitment(before.get(root), after[root], item.settings)
        if reason is not None and root not in has_baseline:
            # Taken after every change of this ingest, so none of them counts against it.
            baselines.append(baseline_row(root, after[root], timings[root].default, reason))
    await repository.record(rows)
    await repository.save_states({r: s for r, s in after.items() if before.get(r) != s})
    await repository.replace_reach({root: observed[root].reach for root in roots})
    await repository.add_baselines(baselines)
    return len(found)


def scope_of(item: RoadmapItem, observed: Observed) -> Scope:
    return Scope(observed.tickets, item.status_category, item.target_date, item.description)


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
