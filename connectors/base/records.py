"""Normalized records: what connectors produce and `ingest()` consumes.

A connector turns vendor JSON into these records and nothing else crosses from
`connectors/` into `app/`. External ids are the vendor's stable ids, unique
within one connection.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ItemKind = Literal["ticket", "epic", "roadmap_item"]
StatusCategory = Literal["todo", "in_progress", "done", "cancelled"]

ITEM_KINDS: tuple[ItemKind, ...] = ("ticket", "epic", "roadmap_item")
STATUS_CATEGORIES: tuple[StatusCategory, ...] = ("todo", "in_progress", "done", "cancelled")


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WorkItem(Record):
    """One ticket, epic or roadmap item as the vendor shows it at `source_updated_at`."""

    external_id: str = Field(min_length=1, max_length=255)
    key: str = Field(min_length=1, max_length=255)
    # The connection scope it was pulled from (a repository, a project key...).
    scope: str | None = None
    url: str | None = None
    kind: ItemKind = "ticket"
    title: str
    description: str | None = None
    status: str
    status_category: StatusCategory
    team: str | None = None
    project: str | None = None
    assignees: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    estimate: float | None = None
    priority: str | None = None
    start_date: date | None = None
    due_date: date | None = None
    parent_external_id: str | None = None
    sprint: str | None = None  # the iteration it is planned in (Jira sprint, Linear cycle)
    created_at: AwareDatetime
    updated_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    # The vendor's own version of this record: a newer one replaces an older one,
    # never the reverse. Usually the vendor's updated_at.
    source_updated_at: AwareDatetime
    raw: dict[str, Any] = Field(default_factory=dict)
    # False when the payload could not say which links the item has (see Link).
    states_links: bool = True


class Link(Record):
    """A link the vendor states explicitly, between two items of one connection.

    `stated_by` is the item whose payload carries the link. For every item of a
    batch with `states_links`, the links stated by it are exactly the batch's
    links with that `stated_by`: links it stated before and no longer does end.
    """

    source_external_id: str
    target_external_id: str
    kind: str = Field(min_length=1, max_length=64)
    stated_by: str


HistoryField = Literal[
    "title", "description", "status", "status_category", "kind", "team", "project",
    "assignees", "labels", "estimate", "priority", "start_date", "due_date", "parent", "sprint",
]  # fmt: skip
HistoryValue = str | float | list[str] | None


class FieldChange(Record):
    """A past change of one field that the vendor itself recorded (Jira's changelog,
    Linear's `updatedFrom`). Stored once as history with origin `vendor_changelog`.

    Values are in the store's normalized form: assignees and labels are lists of
    names, an estimate a number, dates `YYYY-MM-DD`, a parent its external id.
    An item's changes travel in the same batch as the item (or after it is stored).
    """

    external_id: str = Field(min_length=1, max_length=255)
    # The vendor's id of this change, stable across re-reads: history is kept once per id.
    change_id: str = Field(min_length=1, max_length=255)
    field: HistoryField
    old: HistoryValue = None
    new: HistoryValue = None
    at: AwareDatetime


def implied_change_id(change_id: str, field: str) -> str:
    """The id of the change of `field` that the vendor's change `change_id` made
    happen (a status change moves the status category). A connector stating it
    and ingest finding it in its own diff give it this one id, so the change is
    kept once whichever records it first."""
    return f"{change_id}>{field}"


class Deletion(Record):
    """The vendor says this item is gone (deleted, or moved out of our scope)."""

    external_id: str = Field(min_length=1, max_length=255)
    deleted_at: AwareDatetime
    key: str | None = None


class Presence(Record):
    """Every item that exists in `scope` right now, as listed by a full pull that
    began at `listed_at`. Stored items of that scope missing from the list are
    gone: ingest tombstones them (unless they changed after the listing began)."""

    scope: str
    external_ids: frozenset[str]
    listed_at: AwareDatetime


class Cursor(Record):
    """Where to resume a scope's incremental pull; opaque to everything but its connector."""

    scope: str
    value: str


class Batch(Record):
    """One unit of work for `ingest()`: stored together with its cursor, or not at all."""

    items: tuple[WorkItem, ...] = ()
    links: tuple[Link, ...] = ()
    deletions: tuple[Deletion, ...] = ()
    presence: tuple[Presence, ...] = ()
    history: tuple[FieldChange, ...] = ()
    cursor: Cursor | None = None
