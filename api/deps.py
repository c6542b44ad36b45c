"""Dependencies injected into routes: the settings and the loaded assistant.

The assistant is created and loaded in the app's lifespan (api/app.py) and kept on
`app.state`; routes never build clients or load models themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.service import Assistant
from lhl.errors import IndexNotReady
from lhl.settings import Settings


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_assistant(request: Request) -> Assistant:
    assistant: Assistant | None = getattr(request.app.state, "assistant", None)
    if assistant is None or not assistant.ready:
        raise IndexNotReady()
    return assistant


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
