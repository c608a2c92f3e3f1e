"""The API's view of an item, its links and its history (CONTRACT.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from app.models import Connection, WorkItem
from app.schemas import read_model
from connectors.base.records import ItemKind, StatusCategory


class ItemRead(BaseModel):
    id: str
    key: str
    url: str | None
    connection: str
    source: str
    external_id: str
    kind: ItemKind
    title: str
    description: str | None
    status: str
    status_category: StatusCategory
    team: str | None
    project: str | None
    assignees: list[str]
    labels: list[str]
    estimate: float | None
    priority: str | None
    start_date: date | None
    due_date: date | None
    sprint: str | None
    parent: str | None
    created_at: datetime | None
    updated_at: datetime
    closed_at: datetime | None
    deleted: bool

    @classmethod
    def of(cls, item: WorkItem, connection: Connection) -> ItemRead:
        return read_model(
            cls,
            item,
            id=str(item.id),
            connection=connection.name,
            parent=str(item.parent_id) if item.parent_id else None,
            deleted=item.deleted_at is not None,
        )

    def as_then(self, values: dict[str, Any]) -> ItemRead:
        """This item with some fields as history says they were (history names the
        parent column parent_id)."""
        values = dict(values)
        if "parent_id" in values:
            values["parent"] = values.pop("parent_id")
        return ItemRead.model_validate(self.model_dump() | values)


class ItemPage(BaseModel):
    items: list[ItemRead]
    next_cursor: str | None


class LinkRead(BaseModel):
    id: str
    kind: str
    origin: str
    direction: Literal["outgoing", "incoming"]
    created_at: datetime
    item: ItemRead | None  # None while the other end has not been ingested


class HistoryEntry(BaseModel):
    at: datetime
    field: str
    old: Any
    new: Any
    origin: str


class ItemDetail(ItemRead):
    links: list[LinkRead]
    history: list[HistoryEntry]
