"""What the roadmap pages show of each roadmap entry: pure functions from the
API's own schemas (so the pages show the same facts) to rows for the templates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from app.items.schemas import ItemRead
from app.roadmap.rollup import NO_TEAM
from app.roadmap.schemas import RoadmapEntry, RollupRead
from app.web.charts import Bar, Scale, Shares, bar, shares

STATUSES = ("todo", "in_progress", "done", "cancelled", "at_risk")


@dataclass(frozen=True)
class Filters:
    team: str | None = None
    source: str | None = None
    status: str | None = None

    def keeps(self, entry: RoadmapEntry) -> bool:
        item, rollup = entry.item, entry.rollup
        teams = {item.team, *rollup.teams}
        if self.team and self.team not in teams:
            return False
        if self.source and item.source != self.source:
            return False
        if self.status == "at_risk":
            return rollup.at_risk
        return not self.status or item.status_category == self.status


@dataclass(frozen=True)
class Row:
    entry: RoadmapEntry
    start: date
    bar: Bar
    shares: Shares
    unit: str  # "points" or "tickets"
    scope_badge: str | None


def start_of(item: ItemRead, today: date) -> date:
    """Where an item's bar begins: its start date, else when it was created."""
    if item.start_date is not None:
        return item.start_date
    return item.created_at.date() if item.created_at else today


def progress_shares(rollup: RollupRead) -> tuple[Shares, str]:
    if rollup.progress_by == "points":
        return shares(rollup.points_done, rollup.points_in_progress, rollup.points_total), "points"
    done, started = rollup.tickets_done, rollup.tickets_in_progress
    return shares(done, started, rollup.tickets_total), "tickets"


def scope_badge(rollup: RollupRead) -> str | None:
    """A short note of the scope's changes since the baseline, when there are any."""
    scope = rollup.scope
    if scope.baseline_at is None:
        return None
    added, removed = scope.added_tickets or 0, scope.removed_tickets or 0
    if not (added or removed or scope.estimate_delta_points or scope.target_date_moves):
        return None
    parts = [f"+{added}", f"-{removed}"]
    if scope.creep_pct is not None:
        parts.append(f"creep {scope.creep_pct:g}%")
    return "scope " + " ".join(parts)


def timeline_scale(entries: list[RoadmapEntry], today: date, width: float) -> Scale:
    days = [today]
    for entry in entries:
        forecast = entry.rollup.forecast
        days += [start_of(entry.item, today)]
        days += [d for d in (entry.item.due_date, forecast.p50, forecast.p85) if d]
    return Scale.spanning(days, width)


def rows(entries: list[RoadmapEntry], scale: Scale, today: date) -> list[Row]:
    built = []
    for entry in entries:
        start, forecast = start_of(entry.item, today), entry.rollup.forecast
        span = bar(scale, start, entry.item.due_date, forecast.p50, forecast.p85)
        split, unit = progress_shares(entry.rollup)
        built.append(Row(entry, start, span, split, unit, scope_badge(entry.rollup)))
    return built


def by_team_and_tool(tickets: list[ItemRead]) -> dict[tuple[str, str], list[ItemRead]]:
    """Tickets grouped by (team, source), groups and tickets in a stable order."""
    groups: dict[tuple[str, str], list[ItemRead]] = defaultdict(list)
    for ticket in tickets:
        groups[ticket.team or NO_TEAM, ticket.source].append(ticket)
    return {key: sorted(groups[key], key=lambda t: t.key) for key in sorted(groups)}


def web_url(url: str | None) -> str | None:
    """A link back to the source only when it is http(s): a vendor's field must not
    smuggle a javascript: URL into an href."""
    if url and urlsplit(url).scheme in {"http", "https"}:
        return url
    return None


def shown_value(value: object) -> str:
    """A history value as a person reads it: lists as names, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value) if value else "none"
    return str(value)
