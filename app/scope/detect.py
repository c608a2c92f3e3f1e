"""Scope changes: what differs between two observations of a roadmap item's scope.

Pure. A scope is the set of tickets that deliver a roadmap item (reached over
active delivery links, live, not cancelled) with their estimates and status
categories, plus the item's own status category, target date and description.
Comparing the scope before an ingest with the scope after it gives:
  - ticket_added / ticket_removed: a ticket entered or left the set (linked or
    unlinked, cancelled or un-cancelled, deleted); points_delta ± its estimate;
  - estimate_changed: a ticket's estimate changed; points_delta new - old (an
    unknown estimate counts 0);
  - target_date_moved: a target date that was set changed (to another date,
    `days` later, negative when earlier; or was cleared, `days` null). Getting a
    first target date is a commitment, not a move;
  - description_changed: the description's words changed (whitespace-only
    edits are not changes), with a summary of the words added and removed;
  - reopened: the roadmap item (ticket null), or one of its tickets, went from
    done back to todo or in_progress.
"""

from __future__ import annotations

import difflib
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

TICKET_ADDED, TICKET_REMOVED = "ticket_added", "ticket_removed"
ESTIMATE_CHANGED, TARGET_DATE_MOVED = "estimate_changed", "target_date_moved"
DESCRIPTION_CHANGED, REOPENED = "description_changed", "reopened"
CHANGE_TYPES = (
    TICKET_ADDED, TICKET_REMOVED, ESTIMATE_CHANGED, TARGET_DATE_MOVED, DESCRIPTION_CHANGED,
    REOPENED,
)  # fmt: skip
DONE = "done"
OPEN = frozenset({"todo", "in_progress"})
SUMMARY_WORDS = 8  # words quoted from each side of a description diff


@dataclass(frozen=True)
class TicketState:
    estimate: float | None
    status_category: str


@dataclass(frozen=True)
class ItemFields:
    """The roadmap item's own part of its scope."""

    status_category: str
    target_date: date | None
    description: str | None


@dataclass(frozen=True)
class Scope:
    tickets: dict[uuid.UUID, TicketState]
    status_category: str
    target_date: date | None
    description: str | None

    @classmethod
    def of(cls, tickets: dict[uuid.UUID, TicketState], fields: ItemFields) -> Scope:
        return cls(tickets, fields.status_category, fields.target_date, fields.description)

    @property
    def fields(self) -> ItemFields:
        return ItemFields(self.status_category, self.target_date, self.description)

    @property
    def points(self) -> float:
        return sum(ticket.estimate or 0.0 for ticket in self.tickets.values())


@dataclass(frozen=True)
class Timing:
    """When the changes happened: a changed ticket's own time when it has one (its
    version, its deletion), the roadmap item's for its own fields, else `default`
    (the time of the change in this ingest that touched the scope)."""

    default: datetime
    item: datetime | None = None
    tickets: dict[uuid.UUID, datetime] = field(default_factory=dict)

    def of(self, ticket: uuid.UUID | None) -> datetime:
        if ticket is None:
            return self.item or self.default
        return self.tickets.get(ticket, self.default)


@dataclass(frozen=True)
class ScopeChange:
    type: str
    ticket: uuid.UUID | None
    old: Any
    new: Any
    at: datetime
    points_delta: float | None = None
    days: int | None = None
    summary: str | None = None

    @property
    def fingerprint(self) -> str:
        """The same change observed again has the same fingerprint."""
        text = f"{self.type}|{self.ticket}|{self.at.isoformat()}|{self.old!r}|{self.new!r}"
        return hashlib.sha256(text.encode()).hexdigest()


def detect(before: Scope, after: Scope, timing: Timing) -> list[ScopeChange]:
    """Every change from `before` to `after`, tickets in a stable order."""
    return [
        *_ticket_changes(before, after, timing),
        *_target_date_change(before, after, timing),
        *_description_change(before, after, timing),
        *_item_reopened(before, after, timing),
    ]


def _ticket_changes(before: Scope, after: Scope, timing: Timing) -> list[ScopeChange]:
    changes = []
    for ticket in sorted(before.tickets.keys() | after.tickets.keys()):
        old, new = before.tickets.get(ticket), after.tickets.get(ticket)
        at = timing.of(ticket)
        if old is None and new is not None:
            changes.append(ScopeChange(TICKET_ADDED, ticket, None, new.estimate, at,
                                       points_delta=new.estimate or 0.0))  # fmt: skip
        elif new is None and old is not None:
            changes.append(ScopeChange(TICKET_REMOVED, ticket, old.estimate, None, at,
                                       points_delta=-(old.estimate or 0.0)))  # fmt: skip
        elif old is not None and new is not None:
            changes += _ticket_edits(ticket, old, new, at)
    return changes


def _ticket_edits(
    ticket: uuid.UUID, old: TicketState, new: TicketState, at: datetime
) -> list[ScopeChange]:
    changes = []
    if old.estimate != new.estimate:
        delta = (new.estimate or 0.0) - (old.estimate or 0.0)
        changes.append(
            ScopeChange(
                ESTIMATE_CHANGED, ticket, old.estimate, new.estimate, at, points_delta=delta
            )
        )
    if _reopened(old.status_category, new.status_category):
        changes.append(ScopeChange(REOPENED, ticket, old.status_category, new.status_category, at))
    return changes


def _reopened(old: str, new: str) -> bool:
    return old == DONE and new in OPEN


def _target_date_change(before: Scope, after: Scope, timing: Timing) -> list[ScopeChange]:
    old, new = before.target_date, after.target_date
    if old is None or old == new:
        return []
    days = (new - old).days if new is not None else None
    return [
        ScopeChange(TARGET_DATE_MOVED, None, old.isoformat(),
                    new.isoformat() if new else None, timing.of(None), days=days)
    ]  # fmt: skip


def _description_change(before: Scope, after: Scope, timing: Timing) -> list[ScopeChange]:
    old, new = words(before.description), words(after.description)
    if old == new:
        return []
    return [
        ScopeChange(DESCRIPTION_CHANGED, None, before.description, after.description,
                    timing.of(None), summary=diff_summary(old, new))
    ]  # fmt: skip


def _item_reopened(before: Scope, after: Scope, timing: Timing) -> list[ScopeChange]:
    if not _reopened(before.status_category, after.status_category):
        return []
    return [
        ScopeChange(REOPENED, None, before.status_category, after.status_category, timing.of(None))
    ]


def words(text: str | None) -> list[str]:
    """A text as what it says: its words, whatever the whitespace between them."""
    return (text or "").split()


def description_hash(text: str | None) -> str | None:
    """A digest of a description's words (whitespace-only edits keep it)."""
    if text is None:
        return None
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()


def diff_summary(old: list[str], new: list[str]) -> str:
    """`+N words, -M words` and the first words added and removed."""
    added: list[str] = []
    removed: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += old[i1:i2]
        if tag in ("replace", "insert"):
            added += new[j1:j2]
    parts = [f"+{len(added)} words, -{len(removed)} words"]
    for sign, said in (("+", added), ("-", removed)):
        if said:
            more = " …" if len(said) > SUMMARY_WORDS else ""
            parts.append(f'{sign}"{" ".join(said[:SUMMARY_WORDS])}{more}"')
    return "; ".join(parts)
