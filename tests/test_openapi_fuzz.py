"""Schemathesis against `bridge serve`, over real HTTP, from the app's own OpenAPI
document: no request it generates gets a server error (5xx), and no response
breaks the schema the app itself declares."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.db import Database
from app.main import create_app
from app.schema import upgrade_to_head
from connectors.base.records import Batch, Link
from tests.conftest import SECRET_KEY, add_connection, settings_for
from tests.factories import work_item
from tests.items.helpers import ingest_one
from tests.sync.served import free_port


async def _seed(url: str) -> None:
    """A small organisation: a roadmap item, an epic, tickets, links and history."""
    database = Database(url)
    try:
        await upgrade_to_head(database)
        connection = await add_connection(database, "acme", "github")
        items = (
            work_item("r1", 1, key="ROAD-1", kind="roadmap_item", due_date=date(2026, 9, 1),
                      description="Delivered by acme/api#2"),
            work_item(1, 1, kind="epic"),
            work_item(2, 1, estimate=3, parent_external_id="1"),
            work_item(3, 1, status_category="done", estimate=5, parent_external_id="1"),
        )  # fmt: skip
        link = Link(source_external_id="r1", target_external_id="1", kind="implements",
                    stated_by="r1")  # fmt: skip
        await ingest_one(database, connection, Batch(items=items, links=(link,)))
        await ingest_one(database, connection, Batch(items=(work_item(2, 9, title="Renamed"),)))
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "bridge.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_seed(url))
    port = free_port()
    env = os.environ | {"BRIDGE_DATABASE_URL": url, "BRIDGE_SECRET_KEY": SECRET_KEY,
                        "BRIDGE_SCHEDULER": "off"}  # fmt: skip
    env.pop("BRIDGE_API_TOKENS", None)
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    with subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL) as server:
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield base
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def api_schema(served: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{served}/openapi.json")


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation the app declares, known at collection."""
    document = create_app(settings_for("sqlite+aiosqlite://")).openapi()
    return [(m.upper(), path) for path, ops in document["paths"].items() for m in ops]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_server_error_and_every_response_matches_the_schema(
    api_schema: schemathesis.schemas.BaseSchema, served: str, method: str, path: str
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=served, checks=[not_a_server_error, response_schema_conformance]
        )

    check()
