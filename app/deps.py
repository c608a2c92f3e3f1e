"""FastAPI dependencies shared by every router: the request's session, the
credential vault, and bearer-token authentication."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.credentials import CredentialVault
from app.db import session_for_request
from app.errors import Unauthorized

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
