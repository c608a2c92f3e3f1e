"""All SQL of alerts: targets, states, alerts and attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.alerts.evaluate import StateChange, StateKey
from app.db import upsert_insert
from app.models import Alert, AlertAttempt, AlertState, AlertTarget
from app.models.base import table_of

states = table_of(AlertState)
alerts = table_of(Alert)


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_target(self, target: AlertTarget) -> AlertTarget:
        self.session.add(target)
        await self.session.flush()
        return target

    async def live_targets(self) -> list[AlertTarget]:
        query = (
            select(AlertTarget)
            .where(AlertTarget.removed_at.is_(None))
            .order_by(AlertTarget.created_at, AlertTarget.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def target(self, target_id: uuid.UUID) -> AlertTarget | None:
        return await self.session.get(AlertTarget, target_id)

    async def states_of(self, targets: Sequence[uuid.UUID]) -> dict[StateKey, str]:
        if not targets:
            return {}
        query = select(AlertState).where(AlertState.target_id.in_(targets))
        return {
            (s.target_id, s.roadmap_item_id, s.kind): s.state
            for s in (await self.session.execute(query)).scalars()
        }

    async def change_state(self, change: StateChange, at: datetime) -> bool:
        """Move one state from `change.old` to `change.new`; False when another
        process moved it first (then its alert, if any, is that process's)."""
        target, item, kind = change.key
        if change.old is None:
            insert = upsert_insert(self.session, states).values(
                target_id=target, roadmap_item_id=item, kind=kind, state=change.new,
                observed_at=at,
            )  # fmt: skip
            done = await self.session.execute(insert.on_conflict_do_nothing())
        else:
            swap = (
                update(states)
                .where(
                    states.c.target_id == target,
                    states.c.roadmap_item_id == item,
                    states.c.kind == kind,
                    states.c.state == change.old,
                )
                .values(state=change.new, observed_at=at)
            )
            done = await self.session.execute(swap)
        return _rowcount(done) == 1

    async def add_alert(
        self, target: uuid.UUID, item: uuid.UUID, kind: str, payload: dict[str, Any], at: datetime
    ) -> None:
        self.session.add(Alert(target_id=target, roadmap_item_id=item, kind=kind,
                               payload=payload, created_at=at, next_attempt_at=at))  # fmt: skip
        await self.session.flush()

    async def due(self, now: datetime, limit: int) -> list[tuple[Alert, AlertTarget]]:
        query = (
            select(Alert, AlertTarget)
            .join(AlertTarget, AlertTarget.id == Alert.target_id)
            .where(
                Alert.status == "pending",
                Alert.next_attempt_at <= now,
                AlertTarget.removed_at.is_(None),  # a removed target is sent nothing more
            )
            .order_by(Alert.next_attempt_at, Alert.id)
            .limit(limit)
        )
        return [(alert, target) for alert, target in await self.session.execute(query)]

    async def next_due(self) -> datetime | None:
        query = select(alerts.c.next_attempt_at).where(alerts.c.status == "pending")
        found: datetime | None = await self.session.scalar(
            query.order_by(alerts.c.next_attempt_at).limit(1)
        )
        return found

    async def claim(self, alert: uuid.UUID, seen: datetime, until: datetime) -> bool:
        """Take an alert to send, unless another process took it since it was read:
        it is not due again before `until` (then a dead sender's alert is retried)."""
        claim = (
            update(alerts)
            .where(
                alerts.c.id == alert, alerts.c.status == "pending", alerts.c.next_attempt_at == seen
            )
            .values(next_attempt_at=until)
        )
        return _rowcount(await self.session.execute(claim)) == 1

    async def record(self, attempt: AlertAttempt, status: str, next_at: datetime) -> None:
        """One attempt, and where its alert stands after it."""
        self.session.add(attempt)
        sent = attempt.at if attempt.ok else None
        await self.session.execute(
            update(alerts)
            .where(alerts.c.id == attempt.alert_id)
            .values(
                status=status, attempts=alerts.c.attempts + 1, next_attempt_at=next_at, sent_at=sent
            )
        )
        await self.session.flush()

    async def alerts(
        self, *, status: str | None, target: uuid.UUID | None, limit: int
    ) -> list[Alert]:
        query = select(Alert).order_by(Alert.created_at.desc(), Alert.id).limit(limit)
        if status is not None:
            query = query.where(Alert.status == status)
        if target is not None:
            query = query.where(Alert.target_id == target)
        return list((await self.session.execute(query)).scalars())

    async def attempts(self, alert: uuid.UUID) -> list[AlertAttempt]:
        query = select(AlertAttempt).where(AlertAttempt.alert_id == alert)
        return list((await self.session.execute(query.order_by(AlertAttempt.id))).scalars())


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    count: int = result.rowcount
    return count
