"""When a roadmap item deserves an alert (pure: what a target saw last time and
what the rollup says now → the states to keep and the alerts to send).

A target keeps, per roadmap item and kind, one state:
- creep: `above` or `below` its threshold (rollup scope.creep_pct ≥ threshold);
  nothing while the item has no baseline (creep_pct null);
- at_risk: `yes` or `no` (rollup at_risk);
- target_date_moved: the target date (ISO) or `none`.
An alert goes out when a state crosses: creep below → above, at_risk no → yes, a
target date → another date. So an item that stays over the threshold is
reported once, and one that drops below and rises again is reported again. The
first state a target sees is where it starts from, not a crossing: a new target
is not flooded with everything already late.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

CREEP, TARGET_DATE_MOVED, AT_RISK = "creep", "target_date_moved", "at_risk"
NO_DATE = "none"
StateKey = tuple[uuid.UUID, uuid.UUID, str]  # (target, roadmap item, kind)


@dataclass(frozen=True)
class Observation:
    """One roadmap item as the rollup shows it now."""

    item_id: uuid.UUID
    key: str
    title: str
    url: str | None
    team: str | None
    teams: frozenset[str]  # the teams whose tickets deliver it
    creep_pct: float | None
    at_risk: bool
    risk_reasons: tuple[str, ...]
    target_date: date | None


@dataclass(frozen=True)
class Rule:
    """What one target watches."""

    target_id: uuid.UUID
    team: str | None
    roadmap_item_id: uuid.UUID | None
    creep_threshold_pct: float

    def follows(self, seen: Observation) -> bool:
        """Whose states it keeps: its one roadmap item, or every one. A team's
        target follows them all, so an item that its team's tickets join already
        late is a crossing too, not a first sight."""
        return self.roadmap_item_id is None or seen.item_id == self.roadmap_item_id

    def watches(self, seen: Observation) -> bool:
        """Whose crossings it is told of."""
        if not self.follows(seen):
            return False
        return self.team is None or self.team == seen.team or self.team in seen.teams


@dataclass(frozen=True)
class StateChange:
    key: StateKey
    old: str | None  # None: the first time this target sees it
    new: str


@dataclass(frozen=True)
class Notice:
    target_id: uuid.UUID
    item_id: uuid.UUID
    kind: str
    payload: dict[str, Any]


def states(rule: Rule, seen: Observation) -> dict[str, str]:
    now = {
        AT_RISK: "yes" if seen.at_risk else "no",
        TARGET_DATE_MOVED: seen.target_date.isoformat() if seen.target_date else NO_DATE,
    }
    if seen.creep_pct is not None:
        now[CREEP] = "above" if seen.creep_pct >= rule.creep_threshold_pct else "below"
    return now


def evaluate(
    rules: Iterable[Rule], seen: Iterable[Observation], last: dict[StateKey, str], at: datetime
) -> tuple[list[StateChange], list[Notice]]:
    """The states that changed since `last`, and the alerts their crossings make."""
    changes: list[StateChange] = []
    notices: list[Notice] = []
    observations = list(seen)
    for rule in rules:
        for item in filter(rule.follows, observations):
            for kind, state in states(rule, item).items():
                key = (rule.target_id, item.item_id, kind)
                old = last.get(key)
                if old == state:
                    continue
                changes.append(StateChange(key, old, state))
                if _crossed(kind, old, state) and rule.watches(item):
                    notices.append(Notice(rule.target_id, item.item_id, kind,
                                          payload(kind, rule, item, old, at)))  # fmt: skip
    return changes, notices


def _crossed(kind: str, old: str | None, new: str) -> bool:
    if old is None:
        return False
    if kind == CREEP:
        return new == "above"
    if kind == AT_RISK:
        return new == "yes"
    return NO_DATE not in (old, new)  # a date set or cleared is not a move


def payload(
    kind: str, rule: Rule, item: Observation, old: str | None, at: datetime
) -> dict[str, Any]:
    """The JSON body: `text` for Slack-compatible receivers, the rest for programs."""
    moved = kind == TARGET_DATE_MOVED and old not in (None, NO_DATE)
    old_date = date.fromisoformat(old) if moved and old else None
    return {
        "text": _text(kind, rule, item, old_date),
        "kind": kind,
        "roadmap_item": {
            "id": str(item.item_id),
            "key": item.key,
            "title": item.title,
            "url": item.url,
        },
        "creep_pct": item.creep_pct,
        "creep_threshold_pct": rule.creep_threshold_pct,
        "old_target_date": old_date.isoformat() if old_date else None,
        "new_target_date": item.target_date.isoformat() if item.target_date else None,
        "at_risk": item.at_risk,
        "risk_reasons": list(item.risk_reasons),
        "at": at.isoformat(),
    }


def _text(kind: str, rule: Rule, item: Observation, old_date: date | None) -> str:
    name = f"{item.key} {item.title}"
    if kind == CREEP:
        return (
            f"Scope creep on {name}: {item.creep_pct:g}% (threshold {rule.creep_threshold_pct:g}%)"
        )
    if kind == AT_RISK:
        return f"{name} is at risk: {', '.join(item.risk_reasons)}"
    assert old_date is not None
    assert item.target_date is not None
    days = (item.target_date - old_date).days
    return f"Target date of {name} moved {old_date} → {item.target_date} ({days:+d} days)"
