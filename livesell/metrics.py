"""Prometheus metrics for operators: ``GET /metrics`` in the text exposition format.

Counters and histograms that the hot paths bump cheaply (comments by source and result, capture
and store-commit latency, store errors) live in one registry per app, so two
apps in one test process never share numbers. Figures that already exist elsewhere (fan-out
deliveries, tick lateness, viewers and consoles connected, connector health, orders by status)
are read at scrape time by a collector instead of being copied on every change.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# Read at scrape time: hub figures, connector health, orders by status of open shows.
Snapshot = Callable[[], Mapping[str, Any]]


class Metrics:
    """The app's metrics. Bump methods are cheap and never raise into the caller's path."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.comments = Counter(
            "livesell_comments", "Comments received, by source and result.",
            ("source", "result"), registry=self.registry)
        self.capture_seconds = Histogram(
            "livesell_capture_seconds", "Time to parse, store and answer one batch of comments.",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.commit_seconds = Histogram(
            "livesell_store_commit_seconds", "Store group-commit latency (SQLite writer batches).",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.store_errors = Counter(
            "livesell_store_errors", "Requests refused because the store did not answer.",
            ("store",), registry=self.registry)
        self._live = LiveCollector()
        self.registry.register(self._live)
        self._orders_by_status: dict[str, int] = {}

    # -- bumps from the hot paths ----------------------------------------------------------

    def comments_answered(self, sources: Iterable[str], results: Iterable[str],
                          seconds: float) -> None:
        for source, result in zip(sources, results, strict=False):
            self.comments.labels(source or "unknown", result).inc()
        self.capture_seconds.observe(seconds)

    def committed(self, seconds: float) -> None:
        self.commit_seconds.observe(seconds)

    # -- read at scrape time ---------------------------------------------------------------

    def add_source(self, name: str, snapshot: Snapshot) -> None:
        """Register a function whose figures are exported at each scrape (see LiveCollector)."""
        self._live.sources[name] = snapshot

    def set_orders_by_status(self, counts: Mapping[str, int]) -> None:
        self._orders_by_status = dict(counts)
        self._live.sources["orders"] = lambda: {"by_status": self._orders_by_status}

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class LiveCollector(Collector):
    """Figures owned by other parts of the app, read when Prometheus scrapes."""

    def __init__(self) -> None:
        self.sources: dict[str, Snapshot] = {}

    def describe(self) -> list[Metric]:
        return []  # dynamic: nothing to pre-register

    def collect(self) -> Iterator[Metric]:
        figures: dict[str, Mapping[str, Any]] = {}
        for name, snapshot in list(self.sources.items()):
            try:
                figures[name] = snapshot()
            except Exception:  # a broken source must not break the scrape
                continue
        yield from _hub_metrics(figures.get("hub", {}))
        yield from _connector_metrics(figures.get("connectors", {}))
        orders = figures.get("orders", {}).get("by_status", {})
        gauge = GaugeMetricFamily("livesell_orders", "Orders of open shows, by status.",
                                  labels=("status",))
        for status, count in sorted(orders.items()):
            gauge.add_metric((status,), count)
        yield gauge
        store = figures.get("store", {})
        if "batches" in store:
            yield CounterMetricFamily("livesell_store_batches", "SQLite group commits.",
                                      value=store["batches"])
            yield CounterMetricFamily("livesell_store_operations",
                                      "Store operations committed in those batches.",
                                      value=store["operations"])


def _hub_metrics(hub: Mapping[str, Any]) -> Iterator[Metric]:
    viewers = hub.get("viewers", {})
    consoles = hub.get("consoles", {})
    connected = GaugeMetricFamily("livesell_connected", "Sockets connected to this node.",
                                  labels=("audience",))
    connected.add_metric(("viewers",), _number(viewers, "viewers"))
    connected.add_metric(("consoles",), _number(consoles, "viewers"))
    yield connected
    deliveries = CounterMetricFamily("livesell_fanout_deliveries",
                                     "Pushes written to sockets, by audience.",
                                     labels=("audience",))
    deliveries.add_metric(("viewers",), _number(viewers, "delivered"))
    deliveries.add_metric(("consoles",), _number(consoles, "delivered"))
    yield deliveries
    skipped = CounterMetricFamily("livesell_fanout_skipped",
                                  "Pushes skipped for viewers that could not keep up.")
    skipped.add_metric((), _number(viewers, "skipped_slow"))
    yield skipped
    ticks = GaugeMetricFamily("livesell_tick_ms", "Realtime tick figures over the recent window.",
                              labels=("what", "quantile"))
    for what in ("lateness_ms", "tick_ms"):
        for quantile, value in (hub.get(what) or {}).items():
            if isinstance(value, int | float):
                ticks.add_metric((what.removesuffix("_ms"), str(quantile)), float(value))
    yield ticks


def _connector_metrics(connectors: Mapping[str, Any]) -> Iterator[Metric]:
    up = GaugeMetricFamily("livesell_connector_up", "1 when a connector is connected and reading.",
                           labels=("show", "connector"))
    lag = GaugeMetricFamily("livesell_connector_lag_seconds",
                            "Seconds since a connector last delivered a comment.",
                            labels=("show", "connector"))
    errors = CounterMetricFamily("livesell_connector_errors", "Connector errors.",
                                 labels=("show", "connector"))
    now = time.time()
    for entry in connectors.get("connectors", ()):
        labels = (str(entry.get("show", "")), str(entry.get("name", entry.get("kind", ""))))
        up.add_metric(labels, 1.0 if entry.get("state") in ("running", "connected", "live",
                                                           "quiet") else 0.0)
        last = entry.get("last_comment_at")
        if isinstance(last, int | float) and last > 0:
            lag.add_metric(labels, max(0.0, now - last))
        errors.add_metric(labels, float(entry.get("errors", 0) or 0))
    yield up
    yield lag
    yield errors


def _number(figures: Mapping[str, Any], *names: str) -> float:
    for name in names:
        value = figures.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return 0.0


async def refresh_orders(metrics: Metrics, count: Callable[[], Awaitable[Mapping[str, int]]]
                         ) -> None:
    """Recount orders of open shows (called by the scrape handler, at most every few seconds)."""
    metrics.set_orders_by_status(await count())
