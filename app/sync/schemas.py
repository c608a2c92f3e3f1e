"""The API's view of a sync run (CONTRACT.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from app.models import SyncRun
from app.schemas import read_model


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
        return read_model(cls, run, id=str(run.id), connection=connection)
