"""The digest: per roadmap item, what was done, started, added, removed and
slipped in a period, and which items are at risk now. Everything but the risk
comes from history (item_events, and links with their created_at/removed_at), so
a digest of last week says the same today and tomorrow."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
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

SECTIONS = ("done", "started", "added", "removed")


@dataclass
class Period:
    """What the history of (since, until] says about the tickets roadmap items
    reach: per root, its scope then and now (cancelled tickets count on neither
    side); per ticket, its team, and when it was done or started."""

    teams: dict[uuid.UUID, str | None] = field(default_factory=dict)
    then: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    now: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    done: dict[uuid.UUID, datetime] = field(default_factory=dict)
    started: dict[uuid.UUID, datetime] = field(default_factory=dict)


@dataclass
class News:
    """One roadmap item's tickets in each section (ids), and its target-date moves."""

    root: WorkItem
    owner: Connection
    sections: dict[str, list[uuid.UUID]]
    moves: list[Change]
    rollup: RollupRead

    def worth_telling(self) -> bool:
        return any(self.sections.values()) or bool(self.moves) or self.rollup.at_risk


async def digest(
    session: AsyncSession, *, since: datetime, until: datetime, team: str | None
) -> DigestRead:
    roots = await RoadmapRepository(session).roadmap_items(connection=None, team=None)
    ids = [item.id for item, _ in roots]
    period = await _period(session, ids, since, until)
    moves = _by_item(await DigestRepository(session).changes(set(ids), "due_date", since, until))
    rollups = await _rollups(session, until.date())
    told = [
        news
        for root, owner in roots
        # .get: an item that arrived between the two reads has no rollup yet.
        if (rollup := rollups.get(root.id)) is not None and _concerns(root, period, team)
        if (news := _news(root, owner, period, team, moves[root.id], rollup)).worth_telling()
    ]
    shown = {ticket for news in told for tickets in news.sections.values() for ticket in tickets}
    tickets = await DigestRepository(session).items(sorted(shown))  # only those shown
    entries = [_entry(news, tickets, period) for news in told]
    return DigestRead(since=since, until=until, team=team, totals=_totals(entries),
                      items=entries)  # fmt: skip


async def _period(
    session: AsyncSession, roots: list[uuid.UUID], since: datetime, until: datetime
) -> Period:
    repository = RoadmapRepository(session)
    now = await repository.tickets_reached(roots)
    then = await repository.tickets_reached(roots, as_of=since)
    period = Period()
    period.teams = {ticket: team for _, ticket, team, _ in now + then}
    changes = await DigestRepository(session).changes(
        period.teams.keys(), "status_category", since, until
    )
    # A ticket's status at `since` is the old value of its first change after it.
    status_then = {change.item_id: change.old for change in reversed(changes)}
    for root, ticket, _, status in now:
        if status != "cancelled":
            period.now[root].add(ticket)
    for root, ticket, _, status in then:
        if status_then.get(ticket, status) != "cancelled":
            period.then[root].add(ticket)
    _statuses(period, changes)
    return period


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
    reached = period.now.get(root.id, set()) | period.then.get(root.id, set())
    return any(period.teams[ticket] == team for ticket in reached)


def _news(
    root: WorkItem,
    owner: Connection,
    period: Period,
    team: str | None,
    moves: list[Change],
    rollup: RollupRead,
) -> News:
    now, then = period.now.get(root.id, set()), period.then.get(root.id, set())
    scope = now | then
    found = {
        "done": [t for t in scope if t in period.done],
        "started": [t for t in scope if t in period.started],
        "added": list(now - then),
        "removed": list(then - now),
    }
    sections = {
        name: [t for t in ids if team is None or period.teams[t] == team]
        for name, ids in found.items()
    }
    return News(root, owner, sections, moves, rollup)


def _entry(news: News, tickets: dict[uuid.UUID, WorkItem], period: Period) -> DigestEntry:
    when = {"done": period.done, "started": period.started}

    def refs(section: str) -> list[TicketRef]:
        at = when.get(section, {})
        shown = (_ref(tickets[t], at.get(t)) for t in news.sections[section])
        return sorted(shown, key=_order)

    return DigestEntry(
        item=ItemRead.of(news.root, news.owner),
        **{section: refs(section) for section in SECTIONS},
        slipped=[_slip(move) for move in news.moves],
        slip_days=_net_days(news.moves),
        at_risk=news.rollup.at_risk,
        risk_reasons=news.rollup.risk_reasons,
    )


def _ref(ticket: WorkItem, at: datetime | None) -> TicketRef:
    return TicketRef(
        id=str(ticket.id), key=ticket.key, title=ticket.title, url=ticket.url,
        source=ticket.source, team=ticket.team, status_category=ticket.status_category, at=at,
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
    def distinct(section: str) -> int:
        return len({ref.id for entry in entries for ref in getattr(entry, section)})

    return DigestTotals(
        done=distinct("done"), started=distinct("started"),
        added=sum(len(entry.added) for entry in entries),
        removed=sum(len(entry.removed) for entry in entries),
        slipped=sum(1 for entry in entries if entry.slip_days > 0),
        at_risk=sum(1 for entry in entries if entry.at_risk),
    )  # fmt: skip
