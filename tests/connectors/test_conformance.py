"""Every connector in CONNECTORS passes the conformance suite of connectors/base/testing.py."""

from __future__ import annotations

import pytest

from connectors import CONNECTORS
from connectors.base import testing
from connectors.base.testing import ConformanceKit
from connectors.github.conformance import KIT as GITHUB
from connectors.jira.conformance import KIT as JIRA
from connectors.linear.conformance import KIT as LINEAR
from connectors.sim.world import World

KITS: dict[str, ConformanceKit] = {kit.connector.kind: kit for kit in (GITHUB, JIRA, LINEAR)}
KINDS = [connector.kind for connector in CONNECTORS]
SAMPLES = [(kind, s) for kind in KINDS if kind in KITS for s in KITS[kind].webhook_samples()]


def world() -> World:
    return World.generate(seed=3, size="small")


def kit_of(kind: str) -> ConformanceKit:
    assert kind in KITS, f"the {kind} connector has no ConformanceKit"
    return KITS[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_declaration(kind: str) -> None:
    testing.check_declaration(kit_of(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_auth_headers(kind: str) -> None:
    testing.check_auth_headers(kit_of(kind), world())


@pytest.mark.parametrize(("kind", "sample"), SAMPLES, ids=lambda v: getattr(v, "name", v))
def test_webhook_signatures(kind: str, sample: testing.WebhookSample) -> None:
    testing.check_webhook_signatures(kit_of(kind), world(), sample)


@pytest.mark.parametrize(("kind", "sample"), SAMPLES, ids=lambda v: getattr(v, "name", v))
def test_webhook_parses(kind: str, sample: testing.WebhookSample) -> None:
    testing.check_webhook_parses(kit_of(kind), world(), sample)


@pytest.mark.parametrize("kind", KINDS)
async def test_full_pull(kind: str) -> None:
    await testing.check_full_pull(kit_of(kind), world())


@pytest.mark.parametrize("kind", KINDS)
async def test_resume_reads_only_the_overlap(kind: str) -> None:
    await testing.check_resume_reads_only_the_overlap(kit_of(kind), world())
