"""The API's view of the digest (GET /api/v1/digest)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.items.schemas import ItemRead


class TicketRef(BaseModel):
    id: str
    key: str
    title: str
    url: str | None
    source: str
    team: str | None
    status_category: str
    at: datetime | None = Field(
        default=None, description="when it happened (done, started); null for added and removed"
    )


class SlipRead(BaseModel):
    """One move of a roadmap item's target date; `days` > 0 is later."""

    at: datetime
    old: date | None
    new: date | None
    days: int | None


class DigestEntry(BaseModel):
    item: ItemRead
    done: list[TicketRef]
    started: list[TicketRef]
    added: list[TicketRef]
    removed: list[TicketRef]
    slipped: list[SlipRead]
    slip_days: int = Field(description="the target date's net move over the period, in days")
    at_risk: bool
    risk_reasons: list[str]


class DigestTotals(BaseModel):
    done: int = Field(description="tickets done in the period (each once)")
    started: int = Field(description="tickets started in the period (each once)")
    added: int = Field(description="(roadmap item, ticket) pairs added to a scope")
    removed: int = Field(description="(roadmap item, ticket) pairs removed from a scope")
    slipped: int = Field(description="roadmap items whose target date moved later, net")
    at_risk: int = Field(description="roadmap items at risk now")


class DigestRead(BaseModel):
    since: datetime
    until: datetime
    team: str | None
    totals: DigestTotals
    items: list[DigestEntry]
