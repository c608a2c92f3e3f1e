"""The API's view of the changes feed (CONTRACT.md: GET /api/v1/changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.items.schemas import ItemRead


class ChangeRead(BaseModel):
    at: datetime
    item: ItemRead
    field: str
    old: Any
    new: Any
    origin: str


class ChangePage(BaseModel):
    changes: list[ChangeRead]
    next_cursor: str | None
