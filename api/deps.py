"""Dependencies injected into routes: the settings, the loaded assistant and the app's services.

The assistant is created and loaded in the background at start-up (api/startup.py, started
from the lifespan in api/app.py) and kept on `app.state`; routes never build clients or load
models themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.metrics import Metrics
from api.recent import RecentAnswers
from api.startup import Startup
from assistant.service import Assistant
from lhl.errors import IndexNotReady
from lhl.feedback import FeedbackStore
from lhl.settings import Settings


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_startup(request: Request) -> Startup:
    return request.app.state.startup  # type: ignore[no-any-return]


def get_assistant(request: Request) -> Assistant:
    assistant: Assistant | None = getattr(request.app.state, "assistant", None)
    if assistant is None or not assistant.ready:
        startup: Startup | None = getattr(request.app.state, "startup", None)
        raise startup.not_ready_error() if startup else IndexNotReady()
    return assistant


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


def get_feedback_store(request: Request) -> FeedbackStore:
    return request.app.state.feedback  # type: ignore[no-any-return]


def get_recent_answers(request: Request) -> RecentAnswers:
    return request.app.state.recent  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
StartupDep = Annotated[Startup, Depends(get_startup)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback_store)]
RecentDep = Annotated[RecentAnswers, Depends(get_recent_answers)]
