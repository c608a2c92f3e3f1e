"""The API's view of a sync run (CONTRACT.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from app.models import SyncRun


class SyncRunRead(BaseModel):
    id: str
    connection: str
    status: Literal["running", "succeeded", "failed"]
    full: bool
    started_at: datetime
    finished_at: datetime | None
    fetched: int
    created: int
    updated: int
    unchanged: int
    stale: int
    deleted: int
    requests: int
    error: str | None
    failure_type: str | None

    @classmethod
    def of(cls, run: SyncRun, connection: str) -> SyncRunRead:
        counters = {name: getattr(run, name) for name in _COPIED}
        return cls.model_validate(counters | {"id": str(run.id), "connection": connection})


_COPIED = [name for name in SyncRunRead.model_fields if name not in {"id", "connection"}]
