"""The API's view of people (GET /api/v1/people)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PersonRead(BaseModel):
    person: str
    open_tickets: int = Field(description="assigned tickets to do or in progress")
    in_progress: int
    points_in_progress: float = Field(description="estimates of the tickets in progress")
    sources: list[str] = Field(description="the tools their tickets are in")
    names: list[str] = Field(description="the names the tools give them")


class PeopleList(BaseModel):
    people: list[PersonRead]
