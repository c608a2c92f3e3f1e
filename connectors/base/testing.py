"""The conformance suite every connector passes.

Each connector ships a ConformanceKit (in its own folder) telling the suite how
to reach its simulator, how its vendor signs webhooks and which real payloads
it must parse; tests/connectors/test_conformance.py runs every check below for
every entry of CONNECTORS, and fails for a connector without a kit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import orjson
from pydantic import SecretStr
from starlette.types import ASGIApp

from connectors.base.contract import ConnectionConfig, Connector, PullContext
from connectors.base.http import RateLimitPolicy, RetryPolicy, VendorClient
from connectors.base.kinds import KINDS
from connectors.base.records import Batch, Presence
from connectors.base.webhooks import WebhookRejected
from connectors.sim.world import World

SECRET = "conformance-secret"  # noqa: S105 (a test value)
TOKEN = "conformance-token"  # noqa: S105 (a test value)


@dataclass(frozen=True)
class WebhookSample:
    """One real delivery: its name, the vendor's headers (unsigned) and raw body."""

    name: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class ConformanceKit:
    connector: type[Connector]
    simulator: Callable[[World], ASGIApp]  # the vendor's API, served at its root
    scopes: Callable[[World], tuple[str, ...]]  # every scope of the world
    live_keys: Callable[[World], set[str]]  # external ids a full pull must store
    sign: Callable[[str, bytes], dict[str, str]]  # signature headers for secret and body
    webhook_samples: Callable[[], Sequence[WebhookSample]]  # the real payloads
    # The sample as it would be delivered now: for vendors that refuse old deliveries
    # (Linear dates them in the signed body), run just before each check.
    current: Callable[[WebhookSample], WebhookSample] = lambda sample: sample


def config_for(kit: ConformanceKit, world: World, **changes: object) -> ConnectionConfig:
    values: dict[str, object] = {
        "name": "conformance",
        "kind": kit.connector.kind,
        "base_url": "http://vendor.test",
        "token": SecretStr(TOKEN),
        "scopes": kit.scopes(world),
        "webhook_secret": SecretStr(SECRET),
    }
    return ConnectionConfig.model_validate(values | changes)


def check_declaration(kit: ConformanceKit) -> None:
    connector = kit.connector
    assert connector.kind in KINDS, f"{connector.kind} is not a kind of connectors/base/kinds.py"
    assert connector.vendor_name, "vendor_name names the vendor in messages"
    assert isinstance(connector.rate_limit, RateLimitPolicy)


def check_auth_headers(kit: ConformanceKit, world: World) -> None:
    with_token = kit.connector.auth_headers(config_for(kit, world))
    assert any(TOKEN in value for value in with_token.values()), "the token is sent"
    without = kit.connector.auth_headers(config_for(kit, world, token=None))
    assert not any(TOKEN in value for value in without.values())


def check_webhook_signatures(kit: ConformanceKit, world: World, sample: WebhookSample) -> None:
    """Signed right: accepted. Wrong secret, no signature, no secret configured: rejected."""
    sample = kit.current(sample)
    config = config_for(kit, world)
    signed = sample.headers | kit.sign(SECRET, sample.body)
    kit.connector.verify_webhook(config, signed, sample.body)
    forged = sample.headers | kit.sign("not-the-secret", sample.body)
    unconfigured = config_for(kit, world, webhook_secret=None)
    for headers, cfg in ((forged, config), (sample.headers, config), (signed, unconfigured)):
        try:
            kit.connector.verify_webhook(cfg, headers, sample.body)
        except WebhookRejected:
            continue
        raise AssertionError(f"{sample.name}: a delivery that should be rejected was accepted")
    tampered = sample.body + b" "
    try:
        kit.connector.verify_webhook(config, signed, tampered)
    except WebhookRejected:
        return
    raise AssertionError(f"{sample.name}: a body changed after signing was accepted")


def check_webhook_parses(kit: ConformanceKit, world: World, sample: WebhookSample) -> None:
    sample = kit.current(sample)
    config = config_for(kit, world, scopes=())
    assert kit.connector.delivery_id(sample.headers, sample.body)
    received = datetime.now(UTC)
    result = kit.connector.parse_webhook(
        config, sample.headers, orjson.loads(sample.body), received
    )
    assert (result.batch is None) != (result.ignored_because is None), sample.name
    if result.batch is not None:
        assert result.batch.items or result.batch.deletions, f"{sample.name}: an empty batch"


async def pull_all(kit: ConformanceKit, world: World, context: PullContext) -> list[Batch]:
    client = VendorClient(
        "http://vendor.test",
        headers=kit.connector.auth_headers(config_for(kit, world)),
        secrets=(TOKEN,),
        retry=RetryPolicy(max_attempts=2, base_delay=0, max_delay=0, max_total=5),
        transport=httpx.ASGITransport(app=kit.simulator(world)),
    )
    async with client:
        connector = kit.connector(config_for(kit, world), client)
        return [batch async for batch in connector.pull(context)]


async def check_full_pull(kit: ConformanceKit, world: World) -> dict[str, str]:
    """A full pull stores every live item, lists every scope, and keeps its cursors
    within the run. Returns the cursors it ended with."""
    started = datetime.now(UTC)
    batches = await pull_all(kit, world, PullContext(started_at=started, full=True))
    pulled = {item.external_id for batch in batches for item in batch.items}
    assert pulled == kit.live_keys(world), "a full pull reads exactly the live items"
    listed: list[Presence] = [p for batch in batches for p in batch.presence]
    assert {p.scope for p in listed} == set(kit.scopes(world)), "every scope is listed"
    assert set().union(*(p.external_ids for p in listed)) == kit.live_keys(world)
    cursors = {b.cursor.scope: b.cursor.value for b in batches if b.cursor is not None}
    assert set(cursors) == set(kit.scopes(world)), "every scope ends with a cursor"
    return cursors


async def check_resume_reads_only_the_overlap(kit: ConformanceKit, world: World) -> None:
    """Resuming right after a full pull re-reads nothing but the overlap window,
    and every item it re-reads is unchanged."""
    full = await pull_all(kit, world, PullContext(started_at=datetime.now(UTC), full=True))
    versions = {i.external_id: i.source_updated_at for b in full for i in b.items}
    cursors = {b.cursor.scope: b.cursor.value for b in full if b.cursor is not None}
    again = await pull_all(kit, world, PullContext(started_at=datetime.now(UTC), cursors=cursors))
    reread = [item for batch in again for item in batch.items]
    assert len(reread) < len(versions), "an incremental pull does not re-read everything"
    assert all(versions[i.external_id] == i.source_updated_at for i in reread)
    assert not any(batch.presence for batch in again), "only a full pull lists presence"
