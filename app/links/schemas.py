"""The API's view of a manual link (CONTRACT.md: POST /api/v1/links)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models import Link


class ManualLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from", description="id of the item that is delivered")
    target: str = Field(alias="to", description="id of the item that delivers it")
    kind: str = Field(default="implements", min_length=1, max_length=64)


class LinkOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    source: str = Field(serialization_alias="from")
    target: str = Field(serialization_alias="to")
    kind: str
    origin: str
    created_at: datetime
    removed_at: datetime | None

    @classmethod
    def of(cls, link: Link) -> LinkOut:
        return cls(
            id=str(link.id),
            source=str(link.source_item_id),
            target=str(link.target_item_id),
            kind=link.kind,
            origin=link.origin,
            created_at=link.created_at,
            removed_at=link.removed_at,
        )
