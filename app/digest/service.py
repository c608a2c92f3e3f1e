"""The digest: per roadmap item, what was done, started, added, removed and
slipped in a period, and which items are at risk now. Everything but the risk
comes from history (item_events, and links with their created_at/removed_at), so
a digest of last week says the same today and tomorrow."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.digest.repository import Change, DigestRepository
from app.digest.schemas import DigestEntry, DigestRead, DigestTotals, SlipRead, TicketRef
from app.items.schemas import ItemRead
from app.models import Connection, WorkItem
from app.roadmap.repository import RoadmapRepository
from app.roadmap.schemas import RollupRead
from app.roadmap.service import roadmap

Pairs = list[tuple[uuid.UUID, uuid.UUID]]


@dataclass
class Period:
    """What the history of [since, until] says about the tickets it is about."""

    tickets: dict[uuid.UUID, WorkItem]
    reached_then: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    reached_now: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    done: dict[uuid.UUID, datetime] = field(default_factory=dict)
    started: dict[uuid.UUID, datetime] = field(default_factory=dict)


async def digest(
    session: AsyncSession, *, since: datetime, until: datetime, team: str | None
) -> DigestRead:
    repository = RoadmapRepository(session)
    roots = await repository.roadmap_items(connection=None, team=None)
    ids = [item.id for item, _ in roots]
    period = await _period(session, ids, since, until)
    moves = _by_item(await DigestRepository(session).changes(set(ids), "due_date", since, until))
    rollups = await _rollups(session, until.date())
    entries = [
        entry
        for root, owner in roots
        if _concerns(root, period, team)
        and (entry := _entry(root, owner, period, team, moves[root.id], rollups[root.id]))
        is not None
    ]
    return DigestRead(since=since, until=until, team=team, totals=_totals(entries),
                      items=entries)  # fmt: skip


async def _period(
    session: AsyncSession, roots: list[uuid.UUID], since: datetime, until: datetime
) -> Period:
    repository = RoadmapRepository(session)
    now = await repository.tickets_reached(roots)
    then = await repository.tickets_reached(roots, as_of=since)
    ids = sorted({ticket for _, ticket in now} | {ticket for _, ticket in then})
    digest_repository = DigestRepository(session)
    period = Period(await digest_repository.items(ids))
    changes = await digest_repository.changes(set(ids), "status_category", since, until)
    # A ticket's status at `since` is the old value of its first change after it.
    status_then = {c.item_id: c.old for c in reversed(changes)}
    period.reached_now = _counted(now, lambda t: period.tickets[t].status_category)
    period.reached_then = _counted(
        then, lambda t: status_then.get(t, period.tickets[t].status_category)
    )
    _statuses(period, changes)
    return period


def _counted(
    pairs: Pairs, status_of: Callable[[uuid.UUID], str]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Per root, its tickets but the cancelled ones, which count on neither side."""
    scope: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for root, ticket in pairs:
        if status_of(ticket) != "cancelled":
            scope[root].add(ticket)
    return scope


def _statuses(period: Period, changes: list[Change]) -> None:
    """Done: its last status change of the period made it done. Started: it left
    todo for in_progress in the period (first time shown); a reopened ticket was
    not started again."""
    for change in changes:  # oldest first
        period.done.pop(change.item_id, None)
        if change.new == "done":
            period.done[change.item_id] = change.at
        if change.old == "todo" and change.new == "in_progress":
            period.started.setdefault(change.item_id, change.at)


def _by_item(changes: Iterable[Change]) -> dict[uuid.UUID, list[Change]]:
    grouped: dict[uuid.UUID, list[Change]] = defaultdict(list)
    for change in changes:
        grouped[change.item_id].append(change)
    return grouped


async def _rollups(session: AsyncSession, today: date) -> dict[uuid.UUID, RollupRead]:
    current = await roadmap(session, connection=None, team=None, today=today)
    return {uuid.UUID(entry.item.id): entry.rollup for entry in current.items}


def _concerns(root: WorkItem, period: Period, team: str | None) -> bool:
    """With a team: the roadmap items the team owns, or whose scope has (or had) its tickets."""
    if team is None or root.team == team:
        return True
    reached = period.reached_now.get(root.id, set()) | period.reached_then.get(root.id, set())
    return any(period.tickets[ticket].team == team for ticket in reached)


def _entry(
    root: WorkItem,
    owner: Connection,
    period: Period,
    team: str | None,
    moves: list[Change],
    rollup: RollupRead,
) -> DigestEntry | None:
    """The item's news; None when it has none and is not at risk."""
    now = period.reached_now.get(root.id, set())
    then = period.reached_then.get(root.id, set())

    def refs(
        ids: Iterable[uuid.UUID], when: dict[uuid.UUID, datetime] | None = None
    ) -> list[TicketRef]:
        shown = [t for t in ids if team is None or period.tickets[t].team == team]
        return sorted((_ref(period.tickets[t], when) for t in shown), key=_order)

    scope = now | then
    slipped = [_slip(move) for move in moves]
    entry = DigestEntry(
        item=ItemRead.of(root, owner),
        done=refs((t for t in scope if t in period.done), period.done),
        started=refs((t for t in scope if t in period.started), period.started),
        added=refs(now - then),
        removed=refs(then - now),
        slipped=slipped,
        slip_days=_net_days(moves),
        at_risk=rollup.at_risk,
        risk_reasons=rollup.risk_reasons,
    )
    news = (entry.done, entry.started, entry.added, entry.removed, entry.slipped)
    return entry if any(news) or entry.at_risk else None


def _ref(ticket: WorkItem, when: dict[uuid.UUID, datetime] | None) -> TicketRef:
    return TicketRef(
        id=str(ticket.id), key=ticket.key, title=ticket.title, url=ticket.url,
        source=ticket.source, team=ticket.team, status_category=ticket.status_category,
        at=when.get(ticket.id) if when else None,
    )  # fmt: skip


def _order(ref: TicketRef) -> tuple[str, str]:
    return (ref.at.isoformat() if ref.at else "", ref.key)


def _as_date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _slip(move: Change) -> SlipRead:
    old, new = _as_date(move.old), _as_date(move.new)
    days = (new - old).days if old and new else None
    return SlipRead(at=move.at, old=old, new=new, days=days)


def _net_days(moves: list[Change]) -> int:
    """From the date the period began with to the one it ended with; 0 when
    either end had no date (a date set or cleared is not a slip)."""
    if not moves:
        return 0
    first, last = _as_date(moves[0].old), _as_date(moves[-1].new)
    return (last - first).days if first and last else 0


def _totals(entries: list[DigestEntry]) -> DigestTotals:
    def distinct(kind: str) -> int:
        return len({ref.id for entry in entries for ref in getattr(entry, kind)})

    return DigestTotals(
        done=distinct("done"), started=distinct("started"),
        added=sum(len(entry.added) for entry in entries),
        removed=sum(len(entry.removed) for entry in entries),
        slipped=sum(1 for entry in entries if entry.slip_days > 0),
        at_risk=sum(1 for entry in entries if entry.at_risk),
    )  # fmt: skip
