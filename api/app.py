"""The web service: an app factory, the start-up in the lifespan, and the chat page.

create_app(settings)  →  FastAPI app
    lifespan: feedback store opened, assistant loaded in a background thread
    /            the chat page (api/static, no build step)
    /api/*       ask, search, documents, passage, feedback (api/routes.py); teams (api/teams.py)
    /healthz, /readyz, /metrics  (api/health.py)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.errors import CatchAllMiddleware, install_error_handlers
from api.health import router as health_router
from api.limits import BodyLimitMiddleware, RateLimitMiddleware
from api.metrics import Metrics, MetricsMiddleware
from api.recent import RecentAnswers
from api.routes import router as api_router
from api.schemas import ERROR_RESPONSES
from api.startup import AssistantFactory, Startup
from api.stream import router as stream_router
from api.teams import router as teams_router
from assistant.service import Assistant
from lhl.feedback import FeedbackStore
from lhl.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"

# The page loads only its own script and style sheet and talks only to this service.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


class StaticAssets(StaticFiles):
    """The page's script and style: revalidated on each load, so an upgrade shows at once."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def create_app(
    settings: Settings,
    *,
    assistant_factory: AssistantFactory = Assistant,
    ingest_on_start: bool = False,
    announce: Callable[[str], None] | None = None,
) -> FastAPI:
    """The app for these settings. Nothing is loaded here: the lifespan starts the
    background start-up (ingest if asked and needed, then the assistant)."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        feedback = FeedbackStore(settings.feedback_path, settings.feedback_retention_days)
        feedback.init()
        startup = Startup(
            settings,
            metrics,
            factory=assistant_factory,
            ingest_first=ingest_on_start,
            announce=announce,
            on_ready=lambda assistant: setattr(app.state, "assistant", assistant),
        )
        app.state.feedback = feedback
        app.state.startup = startup
        startup.start()
        try:
            yield
        finally:
            startup.stop()

    app = FastAPI(
        title="Leve hele livet-assistenten",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.recent = RecentAnswers()
    install_error_handlers(app)

    _add_middleware(app, settings, metrics)
    _add_routes(app)
    return app


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """The last added runs first: metrics see every request, the rate limit refuses a flood
    before its bodies are read."""
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(
        RateLimitMiddleware, per_minute=settings.rate_limit_per_minute, metrics=metrics
    )
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)


def _add_routes(app: FastAPI) -> None:
    """The API's routers, the chat page and its static files."""
    for router in (health_router, stream_router, api_router, teams_router):
        app.include_router(router, responses=ERROR_RESPONSES)  # stream before api: /ask/stream

    @app.get("/", include_in_schema=False)
    async def index_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticAssets(directory=STATIC_DIR), name="static")
