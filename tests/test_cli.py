"""The `bridge` command line as a user runs it: a real process, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import SECRET_KEY
from tests.sync.served import served_github


def bridge(
    db_url: str, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = (
        os.environ | {"BRIDGE_DATABASE_URL": db_url, "BRIDGE_SECRET_KEY": SECRET_KEY} | env
    )
    environment.pop("BRIDGE_API_TOKENS", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True, text=True, env=environment, input=stdin, timeout=60, check=False,
    )  # fmt: skip


def listed(db_url: str) -> list[dict[str, object]]:
    result = bridge(db_url, "connections", "list", "--json")
    assert result.returncode == 0, result.stderr
    connections: list[dict[str, object]] = json.loads(result.stdout)
    return connections


def test_add_list_remove(db_url: str) -> None:
    added = bridge(
        db_url, "connections", "add", "acme-gh", "--kind", "github", "--scope", "acme/api",
        "--scope", "acme/web", "--token", "ghp_topsecret", "--team", "payments",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)
    assert (shown["name"], shown["scopes"], shown["has_token"]) == (
        "acme-gh", ["acme/api", "acme/web"], True,
    )  # fmt: skip
    assert "ghp_topsecret" not in added.stdout + added.stderr
    assert [c["name"] for c in listed(db_url)] == ["acme-gh"]
    removed = bridge(db_url, "connections", "remove", "acme-gh")
    assert removed.returncode == 0
    assert listed(db_url) == []


def test_token_can_come_from_stdin(db_url: str) -> None:
    added = bridge(db_url, "connections", "add", "lin", "--kind", "linear", "--token", "-",
                   stdin="lin_api_key\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["has_token"] is True


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--kind", "gitlub"], "unknown kind 'gitlub'"),
        (["--kind", "github", "--scope", "nope"], "invalid github scope"),
        (["--kind", "jira", "--scope", "PAY"], "needs a base URL"),
        (["--kind", "github", "--interval", "0"], "interval"),
        (["--kind", "github", "--base-url", "not a url"], "invalid base URL"),
        (["--kindd", "github"], "No such option: --kindd"),
        ([], "Missing option '--kind'"),
    ],
)
def test_bad_add_is_one_clear_line_and_writes_nothing(
    db_url: str, args: list[str], complaint: str
) -> None:
    result = bridge(db_url, "connections", "add", "acme", *args)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
    assert complaint in result.stderr
    assert listed(db_url) == []


def test_bad_name_and_duplicate_name(db_url: str) -> None:
    bad = bridge(db_url, "connections", "add", "Acme!", "--kind", "github")
    assert bad.returncode != 0
    assert "invalid name" in bad.stderr
    assert bridge(db_url, "connections", "add", "acme", "--kind", "github").returncode == 0
    again = bridge(db_url, "connections", "add", "acme", "--kind", "gitlab")
    assert again.returncode == 1
    assert again.stderr == "error: a connection named 'acme' already exists\n"
    assert [c["kind"] for c in listed(db_url)] == ["github"]


def test_removing_an_unknown_connection_fails(db_url: str) -> None:
    result = bridge(db_url, "connections", "remove", "ghost")
    assert (result.returncode, result.stderr) == (1, "error: no connection named 'ghost'\n")


def test_migrate_is_idempotent(db_url: str) -> None:
    for _ in range(2):
        result = bridge(db_url, "migrate")
        assert (result.returncode, result.stdout) == (0, "database is at the newest schema\n")


def test_serve_refuses_a_public_address_without_tokens(db_url: str) -> None:
    result = bridge(db_url, "serve", "--host", "0.0.0.0", "--port", "1")
    assert result.returncode == 1
    assert "refusing to bind 0.0.0.0 without BRIDGE_API_TOKENS" in result.stderr


def test_unreachable_database_is_one_line(tmp_path: object) -> None:
    result = bridge("postgresql+asyncpg://nobody@127.0.0.1:1/none", "connections", "list")
    assert result.returncode == 1
    assert result.stderr.startswith("error: database: ")
    assert result.stderr.count("\n") == 1


def test_sync_prints_the_run_and_fails_clearly(db_url: str) -> None:
    with served_github(issues=120) as github:
        options = ["--kind", "github", "--base-url", github, "--token", "t"]
        assert (
            bridge(
                db_url, "connections", "add", "gh", *options, "--scope", "acme/repo-0"
            ).returncode
            == 0
        )
        synced = bridge(db_url, "sync", "gh", "--json")
        assert synced.returncode == 0, synced.stderr
        run = json.loads(synced.stdout)
        assert (run["status"], run["created"], run["connection"]) == ("succeeded", 120, "gh")
        plain = bridge(db_url, "sync", "gh")
        assert plain.stdout.startswith("succeeded: fetched ")
        wrong = bridge(db_url, "connections", "add", "nope", *options, "--scope", "acme/missing")
        assert wrong.returncode == 0
        failed = bridge(db_url, "sync", "nope")
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: sync of nope failed (config): ")
    assert failed.stderr.count("\n") == 1
    missing = bridge(db_url, "sync", "ghost")
    assert (missing.returncode, missing.stderr) == (1, "error: no connection named 'ghost'\n")
