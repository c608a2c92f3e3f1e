"""Alert use cases: manage targets, evaluate the roadmap against them, list
alerts and their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.alerts.delivery import seal_secret
from app.alerts.evaluate import Observation, Rule, evaluate
from app.alerts.repository import AlertRepository
from app.alerts.schemas import (
    AlertRead,
    AlertTargetCreate,
    AlertTargetRead,
    AttemptRead,
)
from app.credentials import CredentialVault
from app.db import Database
from app.errors import NotFound, Unprocessable
from app.items.repository import ItemReadRepository
from app.models import Alert, AlertAttempt, AlertTarget
from app.models.base import utcnow
from app.roadmap.schemas import RoadmapEntry
from app.roadmap.service import roadmap


def _uuid(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"no {what} with id {text!r}") from None


async def add_target(
    session: AsyncSession, vault: CredentialVault, data: AlertTargetCreate
) -> AlertTargetRead:
    item = None
    if data.roadmap_item is not None:
        item = await _roadmap_item(session, data.roadmap_item)
    target = AlertTarget(
        url=str(data.url), secret=seal_secret(vault, data.secret), team=data.team,
        roadmap_item_id=item, creep_threshold_pct=data.creep_threshold_pct, created_at=utcnow(),
    )  # fmt: skip
    return _target_read(await AlertRepository(session).add_target(target))


async def _roadmap_item(session: AsyncSession, text: str) -> uuid.UUID:
    try:
        item_id = uuid.UUID(text)
    except ValueError:
        raise Unprocessable(f"roadmap_item {text!r} is not an item id") from None
    row = await ItemReadRepository(session).get(item_id)
    if row is None or row[0].kind != "roadmap_item":
        raise Unprocessable(f"roadmap_item {text!r} is not a roadmap item")
    return item_id


async def list_targets(session: AsyncSession) -> list[AlertTargetRead]:
    return [_target_read(t) for t in await AlertRepository(session).live_targets()]


async def remove_target(session: AsyncSession, text: str) -> None:
    target = await AlertRepository(session).target(_uuid(text, "alert target"))
    if target is None or target.removed_at is not None:
        raise NotFound(f"no alert target with id {text!r}")
    target.removed_at = utcnow()
    await session.flush()


async def list_alerts(
    session: AsyncSession, *, status: str | None, target: str | None, limit: int
) -> list[AlertRead]:
    target_id = _uuid(target, "alert target") if target is not None else None
    found = await AlertRepository(session).alerts(status=status, target=target_id, limit=limit)
    return [_alert_read(alert) for alert in found]


async def list_attempts(session: AsyncSession, alert: str) -> list[AttemptRead]:
    found = await AlertRepository(session).attempts(_uuid(alert, "alert"))
    return [_attempt_read(attempt) for attempt in found]


async def evaluate_targets(database: Database, now: datetime) -> int:
    """Compare every live target's last states with the roadmap now; record the
    crossings as pending alerts. The number of alerts made."""
    async with database.request_session(writes=False) as session:
        rules = [_rule(t) for t in await AlertRepository(session).live_targets()]
        if not rules:
            return 0  # no target: not worth computing the roadmap
        # Read apart from the writes below: the roadmap takes a while, and on
        # SQLite the writer's transaction holds the one write lock.
        current = await roadmap(session, connection=None, team=None, today=now.date())
    seen = [_observation(entry) for entry in current.items]
    async with database.job_session() as session:
        repository = AlertRepository(session)
        last = await repository.states_of([rule.target_id for rule in rules])
        changes, notices = evaluate(rules, seen, last, now)
        won = {c.key for c in changes if await repository.change_state(c, now)}
        made = [n for n in notices if (n.target_id, n.item_id, n.kind) in won]
        for notice in made:
            await repository.add_alert(notice.target_id, notice.item_id, notice.kind,
                                       notice.payload, now)  # fmt: skip
    return len(made)


def _rule(target: AlertTarget) -> Rule:
    return Rule(target.id, target.team, target.roadmap_item_id, target.creep_threshold_pct)


def _observation(entry: RoadmapEntry) -> Observation:
    item, rollup = entry.item, entry.rollup
    return Observation(
        item_id=uuid.UUID(item.id), key=item.key, title=item.title, url=item.url, team=item.team,
        teams=frozenset(rollup.teams), creep_pct=rollup.scope.creep_pct, at_risk=rollup.at_risk,
        risk_reasons=tuple(rollup.risk_reasons), target_date=rollup.target_date,
    )  # fmt: skip


def _target_read(target: AlertTarget) -> AlertTargetRead:
    roadmap_item = str(target.roadmap_item_id) if target.roadmap_item_id else None
    return AlertTargetRead(
        id=str(target.id), url=target.url, team=target.team, roadmap_item=roadmap_item,
        creep_threshold_pct=target.creep_threshold_pct, has_secret=bool(target.secret),
        created_at=target.created_at,
    )  # fmt: skip


def _alert_read(alert: Alert) -> AlertRead:
    pending = alert.status == "pending"
    return AlertRead(
        id=str(alert.id), target=str(alert.target_id), roadmap_item=str(alert.roadmap_item_id),
        kind=alert.kind, status=alert.status, attempts=alert.attempts,
        created_at=alert.created_at, next_attempt_at=alert.next_attempt_at if pending else None,
        sent_at=alert.sent_at, payload=alert.payload,
    )  # fmt: skip


def _attempt_read(attempt: AlertAttempt) -> AttemptRead:
    return AttemptRead(
        id=attempt.id, alert=str(attempt.alert_id), at=attempt.at, ok=attempt.ok,
        status_code=attempt.status_code, error=attempt.error,
    )  # fmt: skip
