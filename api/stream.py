"""`POST /api/ask/stream`: the answer as server-sent events, for the web chat.

    event: delta   data: {"text": "…"}      a sentence of the model's answer that has passed
                                            the grounding check, as it arrives (generative)
    event: final   data: <Answer object>    the final word: the same Answer as /api/ask, with
                                            its grounding verdict and citations; it may
                                            replace the deltas (the extractive fallback)
    event: error   data: {"error": {…}}     something failed after the stream began

A bad question or a service that is not ready is refused before the stream begins, with
the same status and JSON error as /api/ask.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import AssistantDep, MetricsDep, RecentDep
from api.metrics import count_answer
from api.schemas import AskRequest
from lhl.errors import LhlError
from lhl.records import Answer, Turn

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api")


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@router.post("/ask/stream")
async def ask_stream(
    body: AskRequest, assistant: AssistantDep, metrics: MetricsDep, recent: RecentDep
) -> StreamingResponse:
    question = assistant.validate(body.question)  # a bad question: 400 before any event
    history = [Turn(t.role, t.content) for t in body.history if t.content.strip()]
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(kind: str, value: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

    def answer() -> None:
        try:
            put("final", assistant.ask(question, history, on_text=lambda t: put("delta", t)))
        except Exception as exc:  # noqa: BLE001 (told to the page as an event, logged here)
            put("error", exc)

    async def events() -> AsyncIterator[bytes]:
        worker = loop.run_in_executor(None, answer)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "delta":
                    yield _event("delta", {"text": value})
                    continue
                if kind == "final":
                    final: Answer = value
                    count_answer(metrics, final)
                    recent.remember(final)
                    yield _event("final", final.to_dict())
                else:
                    log.error("streamed answer failed", exc_info=value)
                    err = value if isinstance(value, LhlError) else LhlError()
                    yield _event("error", {"error": {"code": err.code, "message": err.message}})
                return
        finally:
            await asyncio.wait([worker], timeout=0)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
