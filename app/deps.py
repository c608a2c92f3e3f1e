"""FastAPI dependencies shared by every router: the request's session, the
credential vault, and bearer-token authentication."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.credentials import CredentialVault
from app.db import Database
from app.errors import Unauthorized

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_for_request(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency (used with scope="function", so the commit happens
    before the response is sent: a client never sees success for a lost write)."""
    database: Database = request.app.state.database
    async with database.request_session(writes=request.method not in READ_ONLY_METHODS) as session:
        yield session


# scope="function": the session commits before the response leaves.
SessionDep = Annotated[AsyncSession, Depends(session_for_request, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="One of BRIDGE_API_TOKENS")


def _vault(request: Request) -> CredentialVault:
    vault: CredentialVault = request.app.state.vault
    return vault


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


VaultDep = Annotated[CredentialVault, Depends(_vault)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """When BRIDGE_API_TOKENS is set, every /api request must carry one of them."""
    if not settings.api_tokens:
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token: send Authorization: Bearer <token>")
    offered = credentials.credentials.encode()
    # Compare with every token, in constant time, so timing tells nothing.
    matches = [hmac.compare_digest(offered, token.encode()) for token in settings.api_tokens]
    if not any(matches):
        raise Unauthorized("invalid bearer token")
