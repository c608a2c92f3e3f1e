"""Bearer tokens on /api when BRIDGE_API_TOKENS is set (CONTRACT.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.main import create_app
from tests.conftest import settings_for, started


@pytest.fixture
async def guarded(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(db_url, api_tokens="alpha, beta")
    async for client in started(create_app(settings)):
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer gamma"},
        {"Authorization": "Basic YWxwaGE="},
        {"Authorization": "alpha"},
    ],
)
async def test_api_without_a_valid_token_is_401(
    guarded: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await guarded.get("/api/v1/items", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "token" in response.json()["detail"]


async def test_a_bad_token_writes_nothing(guarded: httpx.AsyncClient) -> None:
    body = {"name": "acme", "kind": "github"}
    assert (await guarded.post("/api/v1/connections", json=body)).status_code == 401
    listed = await guarded.get("/api/v1/connections", headers={"Authorization": "Bearer alpha"})
    assert listed.json() == {"connections": []}


@pytest.mark.parametrize("token", ["alpha", "beta"])
async def test_any_configured_token_is_accepted(guarded: httpx.AsyncClient, token: str) -> None:
    response = await guarded.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_health_needs_no_token(guarded: httpx.AsyncClient) -> None:
    assert (await guarded.get("/healthz")).status_code == 200
    assert (await guarded.get("/readyz")).status_code == 200


async def test_open_api_when_no_tokens_are_set(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/items")).status_code == 200
