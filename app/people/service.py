"""People across tools: who carries how much open work, so overload is visible.

A person is an assignee as the tools name them; the same person in several tools
is one when the connections' `people` setting maps each tool's name (a login, a
display name or an e-mail) to one shared name, e.g. {"ana.lima@acme.io": "Ana Lima"}.
E-mail addresses also match case-insensitively without a mapping.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Connection, WorkItem
from app.people.schemas import PeopleList, PersonRead

OPEN = ("todo", "in_progress")


@dataclass
class Load:
    open_tickets: int = 0
    in_progress: int = 0
    points_in_progress: float = 0.0
    sources: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)


async def people(session: AsyncSession) -> PeopleList:
    query = (
        select(
            WorkItem.assignees, WorkItem.status_category, WorkItem.estimate, WorkItem.source,
            Connection.settings,
        )
        .join(Connection, Connection.id == WorkItem.connection_id)
        .where(
            WorkItem.kind == "ticket", WorkItem.deleted_at.is_(None),
            WorkItem.status_category.in_(OPEN), Connection.removed_at.is_(None),
        )
    )  # fmt: skip
    loads: dict[str, Load] = defaultdict(Load)
    for assignees, category, estimate, source, settings in await session.execute(query):
        for name in assignees:
            load = loads[_person(name, settings)]
            load.open_tickets += 1
            load.sources.add(source)
            load.names.add(name)
            if category == "in_progress":
                load.in_progress += 1
                load.points_in_progress += estimate or 0.0
    ranked = sorted(loads.items(), key=lambda kv: (-kv[1].points_in_progress, kv[0]))
    return PeopleList(
        people=[
            PersonRead(person=person, open_tickets=load.open_tickets, in_progress=load.in_progress,
                       points_in_progress=load.points_in_progress, sources=sorted(load.sources),
                       names=sorted(load.names))
            for person, load in ranked
        ]
    )  # fmt: skip


def _person(name: str, settings: dict[str, Any] | None) -> str:
    mapping = (settings or {}).get("people") or {}
    if isinstance(mapping, dict) and isinstance(mapping.get(name), str):
        return str(mapping[name])
    return name.lower() if "@" in name else name
