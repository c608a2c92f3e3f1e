"""Prometheus metrics, in one registry served at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

ITEMS_INGESTED = Counter(
    "bridge_items_ingested",
    "Records applied by ingest(), by outcome (created, updated, unchanged, stale, deleted).",
    ["source", "origin", "outcome"],
    registry=REGISTRY,
)
INGEST_SECONDS = Histogram(
    "bridge_ingest_batch_seconds",
    "Time ingest() takes for one batch, from the write turn to the last statement.",
    registry=REGISTRY,
)
