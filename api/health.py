"""Liveness, readiness and metrics for operators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.deps import MetricsDep, StartupDep

router = APIRouter()


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is up and serving HTTP; says nothing about the index. Runs on the event
    loop, so it answers even while every worker thread is busy answering questions."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request, startup: StartupDep) -> JSONResponse:
    """200 with `ready: true` once the index and model are loaded; 503 with the reason before,
    and while the start-up ingest runs, how far it has come (`progress`)."""
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None or not assistant.ready:
        error = startup.not_ready_error()
        body: dict[str, object] = {
            "ready": False,
            "state": startup.state,
            "error": {"code": error.code, "message": error.message},
        }
        progress = startup.progress_json()
        if progress is not None:
            body["progress"] = progress
        return JSONResponse(body, status_code=503)
    index = assistant.index
    return JSONResponse(
        {
            "ready": True,
            "state": startup.state,
            "documents": len(index.documents),
            "chunks": len(index.chunks),
            "embedder": assistant.embedder.name,
            "mode": "generative" if assistant.generative else "extractive",
        }
    )


@router.get("/metrics")
def metrics(m: MetricsDep) -> Response:
    body, content_type = m.render()
    return Response(body, media_type=content_type)
