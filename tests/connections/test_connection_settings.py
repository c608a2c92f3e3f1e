"""A connection's kind-specific settings (Jira: field ids, teams, cancelled resolutions),
through the API and the CLI."""

from __future__ import annotations

import json

import httpx

from tests.test_cli import bridge

JIRA = {
    "name": "acme-jira",
    "kind": "jira",
    "base_url": "https://acme.atlassian.net",
    "scopes": ["PAY", "jql:project = WEB AND labels = customer"],
    "token": "me@acme.example:api-token",
}


async def test_settings_are_kept_shown_and_replaced(client: httpx.AsyncClient) -> None:
    settings = {"story_points_field": "customfield_10028", "teams": {"PAY": "payments"}}
    created = await client.post("/api/v1/connections", json=JIRA | {"settings": settings})
    assert created.status_code == 201, created.text
    assert created.json()["settings"] == settings
    replaced = {"cancelled_resolutions": ["Won't Do"]}
    patched = await client.patch("/api/v1/connections/acme-jira", json={"settings": replaced})
    assert patched.json()["settings"] == replaced
    cleared = await client.patch("/api/v1/connections/acme-jira", json={"settings": None})
    assert cleared.status_code == 422
    assert (await client.get("/api/v1/connections/acme-jira")).json()["settings"] == replaced


def test_cli_settings_take_json_values(db_url: str) -> None:
    added = bridge(
        db_url, "connections", "add", "acme-jira", "--kind", "jira",
        "--base-url", "https://acme.atlassian.net", "--scope", "PAY",
        "--setting", "story_points_field=customfield_10028",
        "--setting", 'teams={"PAY": "payments"}',
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["settings"] == {
        "story_points_field": "customfield_10028",
        "teams": {"PAY": "payments"},
    }
    wrong = bridge(db_url, "connections", "add", "x", "--kind", "jira",
                   "--base-url", "https://acme.atlassian.net", "--setting", "novalue")  # fmt: skip
    assert wrong.returncode != 0
    assert "KEY=VALUE" in wrong.stderr
