"""The API's view of teams (GET /api/v1/teams, /api/v1/teams/{team})."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class WeekRead(BaseModel):
    week_start: date
    tickets: int
    points: float


class RoadmapRef(BaseModel):
    id: str
    key: str
    title: str


class TeamRead(BaseModel):
    team: str
    tickets: dict[str, int] = Field(description="live tickets by status category")
    work_in_progress: int
    throughput: list[WeekRead] = Field(description="tickets closed in each of the last weeks")
    roadmap_items: int = Field(description="roadmap items its tickets deliver")


class TeamDetail(TeamRead):
    delivers: list[RoadmapRef]


class TeamList(BaseModel):
    teams: list[TeamRead]
