"""/api/v1/connections on both databases: the happy paths, and bad input refused
with a clear error while nothing is written."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from app.config import Settings
from app.credentials import load_vault
from app.db import Database
from app.models import Connection

GITHUB = {"name": "acme-gh", "kind": "github", "scopes": ["acme/api"], "token": "ghp_secret1"}


async def _rows(settings: Settings) -> list[Connection]:
    database = Database(settings.database_url)
    async with database.job_session() as session:
        rows = list((await session.execute(select(Connection))).scalars().all())
    await database.dispose()
    return rows


async def test_create_returns_the_connection_without_secrets(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/connections", json=GITHUB | {"webhook_secret": "whs"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "acme-gh"
    assert body["base_url"] == "https://api.github.com"
    assert body["has_token"] is True
    assert body["has_webhook_secret"] is True
    assert "ghp_secret1" not in response.text
    assert "whs" not in response.text
    listed = await client.get("/api/v1/connections")
    assert [c["name"] for c in listed.json()["connections"]] == ["acme-gh"]
    assert "ghp_secret1" not in listed.text


async def test_credentials_are_encrypted_at_rest(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await client.post("/api/v1/connections", json=GITHUB)
    [row] = await _rows(settings)
    assert row.secrets is not None
    assert b"ghp_secret1" not in row.secrets
    assert load_vault(settings).open(row.secrets) == {"token": "ghp_secret1"}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"kind": "gitlub"}, "unknown kind 'gitlub'"),
        ({"name": "Acme GH"}, "invalid name"),
        ({"name": "x" * 65}, "invalid name"),
        ({"scopes": ["just-a-repo"]}, "invalid github scope"),
        ({"kind": "jira", "scopes": ["pay"]}, "invalid jira scope"),
        ({"kind": "jira", "scopes": ["PAY"]}, "needs a base URL"),
        ({"kind": "aha", "base_url": "https://a.aha.io/api/v1", "scopes": ["x"]}, "takes no scope"),
        ({"base_url": "ftp://example.com"}, "invalid base URL"),
        ({"interval": 0}, "greater than or equal to 1"),
        ({"colour": "blue"}, "Extra inputs are not permitted"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, settings: Settings, change: dict[str, object], complaint: str
) -> None:
    response = await client.post("/api/v1/connections", json=GITHUB | change)
    assert response.status_code == 422
    assert complaint in response.text
    assert await _rows(settings) == []


async def test_duplicate_name_is_a_conflict(client: httpx.AsyncClient, settings: Settings) -> None:
    assert (await client.post("/api/v1/connections", json=GITHUB)).status_code == 201
    again = await client.post("/api/v1/connections", json=GITHUB | {"scopes": ["acme/web"]})
    assert again.status_code == 409
    assert again.json() == {"detail": "a connection named 'acme-gh' already exists"}
    [row] = await _rows(settings)
    assert row.scopes == ["acme/api"]


async def test_patch_changes_only_what_is_sent(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await client.post("/api/v1/connections", json=GITHUB | {"team": "payments"})
    response = await client.patch(
        "/api/v1/connections/acme-gh", json={"interval": 60, "token": None, "scopes": ["a/b"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["interval"], body["has_token"], body["scopes"], body["team"]) == (
        60, False, ["a/b"], "payments",
    )  # fmt: skip


@pytest.mark.parametrize(
    "patch",
    [
        {"kind": "gitlab"},
        {"scopes": ["nope"]},
        {"interval": 0},
        {"base_url": None},
        {"enabled": None},
    ],
)
async def test_bad_patch_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings, patch: dict[str, object]
) -> None:
    await client.post("/api/v1/connections", json=GITHUB)
    before = (await client.get("/api/v1/connections/acme-gh")).json()
    response = await client.patch("/api/v1/connections/acme-gh", json=patch)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str | list)
    assert (await client.get("/api/v1/connections/acme-gh")).json() == before


async def test_unknown_connection_is_404(client: httpx.AsyncClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, "/api/v1/connections/nope", json={})
        assert response.status_code == 404, method
        assert response.json() == {"detail": "no connection named 'nope'"}


async def test_remove_hides_it_keeps_its_row_and_frees_the_name(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await client.post("/api/v1/connections", json=GITHUB)
    assert (await client.delete("/api/v1/connections/acme-gh")).status_code == 204
    assert (await client.get("/api/v1/connections/acme-gh")).status_code == 404
    assert (await client.post("/api/v1/connections", json=GITHUB)).status_code == 201
    rows = await _rows(settings)
    assert len(rows) == 2
    assert sum(row.removed_at is not None for row in rows) == 1
