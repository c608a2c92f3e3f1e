"""Sending alerts: a signed POST per alert, retried with exponential back-off,
every attempt recorded.

The HTTP request runs outside any database transaction (a slow receiver must
not hold SQLite's write lock): an alert is first claimed (its next attempt
pushed past the request's timeout, so a sender that dies mid-request leaves
it to be retried), then sent, then its outcome recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from app.alerts.repository import AlertRepository
from app.credentials import CredentialVault
from app.db import Database
from app.models import Alert, AlertAttempt, AlertTarget

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Issuebridge-Signature-256"
BATCH = 50
MAX_DELAY_SECONDS = 3600.0


def sign(body: bytes, secret: str) -> str:
    """The header value: sha256=<hex HMAC-SHA256 of the raw body>, as GitHub does."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def seal_secret(vault: CredentialVault, secret: str) -> bytes:
    return vault.seal({"secret": secret})


@dataclass(frozen=True)
class Backoff:
    """The wait before retry n (n ≥ 1): first_seconds · 2^(n-1), at most an hour."""

    first_seconds: float
    max_attempts: int

    def delay(self, failures: int) -> timedelta:
        seconds = self.first_seconds * 2 ** (failures - 1)
        return timedelta(seconds=min(seconds, MAX_DELAY_SECONDS))


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None


async def post(
    client: httpx.AsyncClient, url: str, secret: str, payload: dict[str, Any]
) -> Outcome:
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        # The type and message only: the URL (a Slack webhook's is a secret) stays out.
        return Outcome(False, None, f"{type(error).__name__}: {error}".rstrip(": "))
    return Outcome(response.is_success, response.status_code, None)


class Sender:
    def __init__(
        self, database: Database, vault: CredentialVault, client: httpx.AsyncClient,
        backoff: Backoff, claim_seconds: float,
    ) -> None:  # fmt: skip
        self.database = database
        self.vault = vault
        self.client = client
        self.backoff = backoff
        self.claim = timedelta(seconds=claim_seconds)

    async def send_due(self, now: datetime) -> int:
        """Try every alert due at `now` once; how many were tried."""
        async with self.database.job_session() as session:
            repository = AlertRepository(session)
            due = await repository.due(now, BATCH)
            claimed = [
                (alert, target) for alert, target in due
                if await repository.claim(alert.id, alert.next_attempt_at, now + self.claim)
            ]  # fmt: skip
        for alert, target in claimed:
            await self._send(alert, target, now)
        return len(claimed)

    async def next_due(self) -> datetime | None:
        async with self.database.request_session(writes=False) as session:
            return await AlertRepository(session).next_due()

    async def _send(self, alert: Alert, target: AlertTarget, now: datetime) -> None:
        secret = self.vault.open(target.secret)["secret"]
        outcome = await post(self.client, target.url, secret, alert.payload)
        tried = alert.attempts + 1
        status, next_at = "sent", now
        if not outcome.ok:
            status = "failed" if tried >= self.backoff.max_attempts else "pending"
            next_at = now + self.backoff.delay(tried)
            log.warning("alert %s attempt %d failed: %s", alert.id, tried,
                        outcome.error or outcome.status_code)  # fmt: skip
        attempt = AlertAttempt(alert_id=alert.id, at=now, status_code=outcome.status_code,
                               error=outcome.error, ok=outcome.ok)  # fmt: skip
        async with self.database.job_session() as session:
            await AlertRepository(session).record(attempt, status, next_at)
