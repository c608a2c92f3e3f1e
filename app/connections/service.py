"""Use cases on connections. Services flush; the request or job commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.connections.repository import ConnectionRepository
from app.connections.schemas import (
    ConnectionCreate,
    ConnectionRead,
    ConnectionStatus,
    ConnectionUpdate,
)
from app.credentials import CredentialVault
from app.errors import Conflict, NotFound, Unprocessable
from app.models import Connection
from app.models.base import utcnow
from app.scope.repository import ScopeRepository
from app.scope.track import track_scope
from app.sync.repository import plan_of
from connectors.base.contract import ConnectionConfig
from connectors.base.kinds import KINDS

SECRET_FIELDS = ("token", "webhook_secret")
# API field name -> column, where they differ.
COLUMN_OF = {"interval": "interval_seconds"}


def to_read(connection: Connection, secrets: dict[str, str]) -> ConnectionRead:
    return ConnectionRead(
        name=connection.name,
        kind=connection.kind,
        base_url=connection.base_url,
        scopes=list(connection.scopes),
        team=connection.team,
        interval=connection.interval_seconds,
        enabled=connection.enabled,
        has_token="token" in secrets,
        has_webhook_secret="webhook_secret" in secrets,
        settings=dict(connection.settings or {}),
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


def _open(vault: CredentialVault, connection: Connection) -> dict[str, str]:
    return vault.open(connection.secrets) if connection.secrets else {}


def _seal(vault: CredentialVault, secrets: dict[str, str]) -> bytes | None:
    return vault.seal(secrets) if secrets else None


async def create(
    session: AsyncSession, vault: CredentialVault, data: ConnectionCreate
) -> ConnectionRead:
    repository = ConnectionRepository(session)
    if await repository.live_by_name(data.name) is not None:
        raise Conflict(f"a connection named {data.name!r} already exists")
    secrets = {
        name: value.get_secret_value()
        for name in SECRET_FIELDS
        if (value := getattr(data, name)) is not None
    }
    assert data.base_url is not None, "ConnectionCreate fills in the default base URL"
    connection = Connection(
        name=data.name,
        kind=data.kind,
        base_url=data.base_url,
        scopes=list(dict.fromkeys(data.scopes)),
        team=data.team,
        interval_seconds=data.interval,
        enabled=data.enabled,
        secrets=_seal(vault, secrets),
        settings=dict(data.settings),
    )
    await repository.add(connection)
    return await _with_status(session, connection, to_read(connection, secrets))


async def get(session: AsyncSession, vault: CredentialVault, name: str) -> ConnectionRead:
    connection = await _live(session, name)
    return await _with_status(session, connection, to_read(connection, _open(vault, connection)))


async def list_all(session: AsyncSession, vault: CredentialVault) -> list[ConnectionRead]:
    connections = await ConnectionRepository(session).list_live()
    return [await _with_status(session, c, to_read(c, _open(vault, c))) for c in connections]


async def _with_status(
    session: AsyncSession, connection: Connection, read: ConnectionRead
) -> ConnectionRead:
    plan, facts = await plan_of(session, connection)
    success = next((r for r in facts if r.status == "succeeded"), None)
    failure = next((r for r in facts if r.status == "failed"), None)
    status = ConnectionStatus(
        running=bool(facts) and facts[0].status == "running",
        last_success_at=success.finished_at if success else None,
        last_failure_at=failure.finished_at if failure else None,
        last_failure_type=failure.failure_type if failure else None,
        last_error=failure.error if failure else None,
        paused_because=plan.paused_because if connection.enabled else "disabled",
        next_run_at=plan.due_at if connection.enabled else None,
    )
    return read.model_copy(update={"status": status})


async def update(
    session: AsyncSession, vault: CredentialVault, name: str, data: ConnectionUpdate
) -> ConnectionRead:
    connection = await _live(session, name)
    changes = data.changes()
    if "scopes" in changes:
        connection.scopes = _checked_scopes(connection.kind, changes.pop("scopes"))
    secrets = _open(vault, connection)
    for field in SECRET_FIELDS:
        if field in changes:
            value = changes.pop(field)
            if value is None:
                secrets.pop(field, None)
            else:
                secrets[field] = value.get_secret_value()
    connection.secrets = _seal(vault, secrets)
    for field, value in changes.items():
        setattr(connection, COLUMN_OF.get(field, field), value)
    connection.updated_at = utcnow()
    await session.flush()
    return await _with_status(session, connection, to_read(connection, secrets))


def _checked_scopes(kind: str, scopes: list[str]) -> list[str]:
    for scope in scopes:
        if error := KINDS[kind].scope_error(scope):
            raise Unprocessable(error)
    return list(dict.fromkeys(scopes))


async def remove(session: AsyncSession, name: str) -> None:
    """Removes the connection from use; what it stored is kept (nothing observed is
    lost). Its tickets leave the scopes of the roadmap items they were in, as of now,
    and each departure is recorded as a scope change."""
    connection = await _live(session, name)
    connection.removed_at = utcnow()
    connection.enabled = False
    await session.flush()
    reached = await ScopeRepository(session).reached_from(connection.id)
    await track_scope(session, dict.fromkeys(reached, connection.removed_at))


async def _live(session: AsyncSession, name: str) -> Connection:
    connection = await ConnectionRepository(session).live_by_name(name)
    if connection is None:
        raise NotFound(f"no connection named {name!r}")
    return connection


async def connector_config(
    session: AsyncSession, vault: CredentialVault, name: str
) -> tuple[Connection, ConnectionConfig]:
    """A live connection and what its connector needs to know, secrets opened."""
    connection = await _live(session, name)
    return connection, config_of(vault, connection)


def config_of(vault: CredentialVault, connection: Connection) -> ConnectionConfig:
    secrets = _open(vault, connection)
    return ConnectionConfig(
        name=connection.name,
        kind=connection.kind,
        base_url=connection.base_url,
        token=secrets.get("token"),
        scopes=tuple(connection.scopes),
        team=connection.team,
        webhook_secret=secrets.get("webhook_secret"),
        settings=dict(connection.settings),
    )
