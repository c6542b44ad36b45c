"""The web chat's JSON API: ask, search, documents, passages and feedback (docs/contract.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import AssistantDep, FeedbackDep, MetricsDep, RecentDep
from api.errors import error_response
from api.metrics import count_answer
from api.schemas import AskRequest, FeedbackRequest
from eval.feedback import export_lines
from lhl import messages
from lhl.feedback import CitedPassage, NewFeedback
from lhl.records import Citation, Passage, Turn

router = APIRouter(prefix="/api")

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
MAX_CHUNK_ID_CHARS = 200  # ids are 24 hex characters (ingest/chunker.py); room to spare


@router.post("/ask")
def ask(
    body: AskRequest, assistant: AssistantDep, metrics: MetricsDep, recent: RecentDep
) -> JSONResponse:
    history = [Turn(t.role, t.content) for t in body.history if t.content.strip()]
    answer = assistant.ask(body.question, history)
    count_answer(metrics, answer)
    recent.remember(answer)
    return JSONResponse(answer.to_dict())


@router.get("/search")
def search(
    assistant: AssistantDep,
    q: Annotated[str, Query(description="spørsmål eller søkeord")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> JSONResponse:
    """Ranked passages for a query, each shaped like a citation of the Answer object."""
    citations = assistant.search(q, k=k)
    return JSONResponse({"query": q.strip(), "k": k, "passages": [asdict(c) for c in citations]})


@router.get("/documents")
def documents(assistant: AssistantDep) -> JSONResponse:
    docs = [
        {
            "doc_id": d.info.doc_id,
            "title": d.info.title,
            "publisher": d.info.publisher,
            "doc_type": d.info.doc_type,
            "date": d.info.date,
            "source": d.info.source,
            "source_url": d.info.source_url,
            "chunks": len(d.chunk_ids),
        }
        for d in assistant.index.documents
    ]
    return JSONResponse({"documents": docs})


@router.get("/passage/{chunk_id}")
def passage(
    chunk_id: Annotated[str, Path(max_length=MAX_CHUNK_ID_CHARS)], assistant: AssistantDep
) -> JSONResponse:
    """One stored passage, shaped like a citation (without a number or score), for deep links."""
    index = assistant.index
    chunk = index.by_id.get(chunk_id)
    if chunk is None:
        return error_response(messages.errors.PASSAGE_NOT_FOUND)
    data = asdict(Citation.from_passage(0, Passage(chunk, 0.0)))
    data.update(n=None, score=None)
    info = next((d.info for d in index.documents if d.info.doc_id == chunk.doc_id), None)
    data["source_url"] = info.source_url if info else None
    return JSONResponse(data)


@router.post("/feedback", status_code=201)
def feedback(
    body: FeedbackRequest, store: FeedbackDep, recent: RecentDep, metrics: MetricsDep
) -> JSONResponse:
    # The service's own copy of the rated answer, when it still has it, is what gets stored.
    answer = recent.get(body.answer_id) if body.answer_id else None
    question = (answer.question if answer else body.question).strip()
    if not question:
        return error_response(messages.errors.FEEDBACK_EMPTY)
    item = NewFeedback(
        answer_id=body.answer_id,
        question=question,
        answer=answer.answer if answer else body.answer.strip(),
        rating=body.rating,
        comment=(body.comment or "").strip() or None,
        resolved_question=answer.resolved_question if answer else None,
        found=answer.found if answer else None,
        citations=tuple(
            CitedPassage(c.n, c.doc_id, c.chunk_id, c.section, c.highlight)
            for c in answer.citations
        )
        if answer
        else (),
    )
    feedback_id = store.add(item)
    metrics.feedback.labels(body.rating).inc()
    return JSONResponse({"ok": True, "id": feedback_id}, status_code=201)


@router.get("/feedback/export")
def feedback_export(
    request: Request,
    store: FeedbackDep,
    format: Literal["jsonl"] = "jsonl",
    rating: Literal["up", "down", "all"] = "all",
) -> Response:
    """Ratings as a question file for `lhl eval`. Only from the machine the service runs on:
    the file holds what people asked."""
    client = request.client.host if request.client else ""
    if client not in LOOPBACK:
        return error_response(messages.errors.EXPORT_LOCAL_ONLY)
    lines = export_lines(store, None if rating == "all" else rating)
    return Response(
        "".join(lines),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tilbakemeldinger.jsonl"'},
    )
