"""`bridge digest` as a user runs it: a real process over the hand-built timeline."""

from __future__ import annotations

import json

import pytest

from app.db import Database
from tests.digest.timeline import build
from tests.test_cli import bridge


async def test_markdown_and_json(database: Database, db_url: str) -> None:
    await build(database)
    shown = bridge(db_url, "digest", "--since", "2026-03-02T10:00:00Z")
    assert shown.returncode == 0, shown.stderr
    assert "**1 done · 1 started · 1 added · 2 removed · 1 slipped · 1 at risk**" in shown.stdout
    as_json = bridge(db_url, "digest", "--since", "2026-03-02T10:00:00Z", "--team", "platform",
                     "--json")  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["team"] == "platform"
    assert body["totals"] == {
        "done": 0, "started": 0, "added": 1, "removed": 1, "slipped": 1, "at_risk": 1,
    }  # fmt: skip


@pytest.mark.parametrize("since", ["7d", "12h", "2w"])
def test_spans(db_url: str, since: str) -> None:
    shown = bridge(db_url, "digest", "--since", since)
    assert shown.returncode == 0, shown.stderr
    assert "Nothing happened on the roadmap in this period." in shown.stdout


@pytest.mark.parametrize("since", ["last week", "2999-01-01"])
def test_a_bad_since_is_one_line_and_exit_1(db_url: str, since: str) -> None:
    shown = bridge(db_url, "digest", "--since", since)
    assert shown.returncode == 1
    assert shown.stderr.startswith(f"error: since {since!r} is ")
    assert shown.stderr.count("\n") == 1
