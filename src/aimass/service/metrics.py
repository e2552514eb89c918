"""Prometheus metrics, one registry per app (several apps in one test process never clash)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "aimass_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "aimass_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.decisions = Counter("aimass_decisions", "Decisions by kind", ["kind"], registry=r)
        self.batch_size = Histogram(
            "aimass_batch_size",
            "Messages per model call (dynamic micro-batching)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=r,
        )
        self.model_info = Gauge(
            "aimass_model_info", "The model being served (value 1)", ["version"], registry=r
        )
        self.reloads = Counter("aimass_model_reloads", "Model reloads", ["result"], registry=r)

    def set_model(self, version: str) -> None:
        self.model_info.clear()
        self.model_info.labels(version=version or "unknown").set(1)
