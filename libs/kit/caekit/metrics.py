"""Prometheus metrics of every service, served on /metrics.

Names (each with a ``service`` label): cae_http_requests_total{entrypoint,
method,status}, cae_entrypoint_calls_total{entrypoint,outcome},
cae_entrypoint_duration_seconds{entrypoint}, cae_events_published_total{type},
cae_events_consumed_total{consumer,type,outcome}, cae_events_retried_total,
cae_events_dead_lettered_total, cae_events_unroutable_total, cae_outbox_backlog.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "cae_http_requests", "HTTP requests answered", ["service", "entrypoint", "method", "status"]
)
ENTRYPOINT_CALLS = Counter(
    "cae_entrypoint_calls", "Entrypoint calls by outcome", ["service", "entrypoint", "outcome"]
)
ENTRYPOINT_SECONDS = Histogram(
    "cae_entrypoint_duration_seconds",
    "Entrypoint latency",
    ["service", "entrypoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "cae_events_published", "Events confirmed by the broker", ["service", "type"]
)
EVENTS_CONSUMED = Counter(
    "cae_events_consumed", "Events consumed (handled or skipped as duplicates)",
    ["service", "consumer", "type", "outcome"],
)
EVENTS_RETRIED = Counter(
    "cae_events_retried", "Events sent to a retry delay queue", ["service", "consumer", "type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "cae_events_dead_lettered", "Events parked in a dead-letter queue", ["service", "consumer", "type"]
)
EVENTS_UNROUTABLE = Counter(
    "cae_events_unroutable", "Events the broker returned as unroutable (kept in the outbox)",
    ["service", "type"],
)
OUTBOX_BACKLOG = Gauge("cae_outbox_backlog", "Committed events not yet confirmed", ["service"])


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), "text/plain; version=0.0.4; charset=utf-8"
