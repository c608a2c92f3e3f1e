"""Prometheus metrics, in one registry served at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
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

SYNC_RUNS = Counter(
    "bridge_sync_runs",
    "Finished sync runs, by source and outcome (succeeded, or the failure type).",
    ["source", "outcome"],
    registry=REGISTRY,
)
SYNC_SECONDS = Histogram(
    "bridge_sync_run_seconds",
    "Duration of sync runs.",
    ["source"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600),
    registry=REGISTRY,
)
VENDOR_REQUESTS = Counter(
    "bridge_vendor_requests",
    "HTTP requests sent to vendors by sync runs.",
    ["source"],
    registry=REGISTRY,
)
RATE_LIMIT_REMAINING = Gauge(
    "bridge_rate_limit_remaining",
    "The vendor's rate-limit budget left, as last seen by a sync of the connection.",
    ["connection"],
    registry=REGISTRY,
)
LEASE_TAKEOVERS = Counter(
    "bridge_lease_takeovers",
    "Sync leases taken over from a worker that died or stopped renewing them.",
    registry=REGISTRY,
)
INBOX_DEPTH = Gauge(
    "bridge_webhook_inbox_depth",
    "Webhook deliveries stored and not yet applied.",
    registry=REGISTRY,
)
WEBHOOK_GROUP_SIZE = Histogram(
    "bridge_webhook_deliveries_per_commit",
    "Webhook deliveries stored by one commit (concurrent deliveries share one).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    registry=REGISTRY,
)
