"""Prometheus metrics for one app: requests, latency, answers, feedback and the index state.

Each app gets its own registry (no process-global state), so tests can build many apps.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Enum,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lhl.records import GROUNDING_VERDICTS, Answer

SERVICE_STATES = ["starting", "ingesting", "loading", "ready", "failed"]
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        """Every metric, declared once with its help text and labels: long by that list."""
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "lhl_http_requests",
            "HTTP requests by route and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "lhl_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "lhl_answers",
            "Answers given, by outcome (answered or not_found).",
            ["outcome", "mode"],
            registry=r,
        )
        for outcome in ("answered", "not_found"):
            self.answers.labels(outcome, "extractive")
        self.grounding = Counter(
            "lhl_grounding",
            "Generated answers by grounding verdict (grounded, trimmed; rejected, unavailable "
            "and not_found show the extractive answer).",
            ["verdict"],
            registry=r,
        )
        for verdict in GROUNDING_VERDICTS:
            self.grounding.labels(verdict)
        self.feedback = Counter("lhl_feedback", "Ratings received.", ["rating"], registry=r)
        for rating in ("up", "down"):
            self.feedback.labels(rating)
        self.rate_limited = Counter(
            "lhl_rate_limited_requests",
            "Requests refused by the per-client rate limit.",
            registry=r,
        )
        self.state = Enum(
            "lhl_service_state",
            "Start-up state of the service.",
            states=SERVICE_STATES,
            registry=r,
        )
        self.ready = Gauge("lhl_ready", "1 when the index and model are loaded.", registry=r)
        self.index_documents = Gauge(
            "lhl_index_documents", "Documents in the loaded index.", registry=r
        )
        self.index_chunks = Gauge("lhl_index_chunks", "Passages in the loaded index.", registry=r)
        self.index_updated = Gauge(
            "lhl_index_updated_timestamp_seconds",
            "When the loaded index was last written.",
            registry=r,
        )
        self.ingest_runs = Counter(
            "lhl_ingest_runs",
            "Ingest runs made by the service at start-up, by result.",
            ["result"],
            registry=r,
        )
        self.ingest_seconds = Gauge(
            "lhl_ingest_last_duration_seconds", "Duration of the last start-up ingest.", registry=r
        )
        self.ingest_changed = Gauge(
            "lhl_ingest_last_documents_changed",
            "Documents added, updated or removed by the last start-up ingest.",
            registry=r,
        )
        self.state.state("starting")

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def count_answer(metrics: Metrics, answer: Answer) -> None:
    """One answer given: its outcome and mode, and the grounding verdict in generative mode."""
    metrics.answers.labels("answered" if answer.found else "not_found", answer.mode).inc()
    if answer.grounding is not None:
        metrics.grounding.labels(answer.grounding.verdict).inc()


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path is not None else "<unmatched>"


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (not the raw path, which
    would give one series per passage id)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            m = self.metrics
            route = _route_label(scope)
            method = str(scope.get("method", ""))
            m.requests.labels(method, route, str(status)).inc()
            m.latency.labels(method, route).observe(time.perf_counter() - started)
