"""Limits at the HTTP edge: request body size (413) and a per-client rate limit (429).

Both answer with the JSON error shape of docs/contract.md before the request reaches a route.
The Teams webhook is left out of both: it has its own body limit, and its requests come
from a few Microsoft addresses that would share one bucket.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from api.metrics import Metrics
from lhl import messages

# A question is at most 2,000 characters; with a conversation history of a few turns a
# real request stays far below this.
MAX_BODY_BYTES = 64 * 1024
EXEMPT_PREFIXES = ("/api/teams",)


def _exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES)


class BodyLimitMiddleware:
    """Reads the body (at most `limit` bytes) before the app does, and refuses a larger one.

    Buffering is fine at this size and covers chunked uploads that carry no Content-Length."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _exempt(scope["path"]) or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        too_large = messages.errors.BODY_TOO_LARGE.format(kib=self.limit // 1024)
        await error_response(too_large)(scope, receive, send)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per client: `per_minute` requests, refilled evenly over the minute, and
    a burst of the same size. Generous by default; it stops floods, not people."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}
        self._clock = clock

    def allow(self, client: str) -> float:
        """0 when the request may go on; otherwise the seconds until it may."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_idle(now)
            bucket = self._buckets[client] = _Bucket(float(self.per_minute), now)
        bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full_after = 60.0
        for key in [k for k, b in self._buckets.items() if now - b.updated > full_after]:
            del self._buckets[key]


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, per_minute: int, metrics: Metrics) -> None:
        self.app = app
        self.limiter = RateLimiter(per_minute) if per_minute > 0 else None
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if self.limiter is None or not path.startswith("/api/") or _exempt(path):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.allow(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        self.metrics.rate_limited.inc()
        response = error_response(messages.errors.RATE_LIMITED)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        await response(scope, receive, send)
