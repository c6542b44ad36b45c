"""Failures as HTTP responses: status code + {"error": {"code", "message"}} in Norwegian.

Which failure gets which status, code and message is said once, in lhl/messages/errors.py.
Full detail goes to the log; a user never sees a stack trace or str(exception).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lhl import messages
from lhl.errors import LhlError
from lhl.messages.errors import ErrorText

log = logging.getLogger(__name__)


def error_body(error: ErrorText) -> dict[str, dict[str, str]]:
    return {"error": {"code": error.code, "message": error.message}}


def error_response(error: ErrorText) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=error.status)


def http_error_body(status: int) -> dict[str, dict[str, str]]:
    return error_body(messages.errors.for_status(status))


def http_error(status: int) -> JSONResponse:
    return error_response(messages.errors.for_status(status))


def _field_name(errors: Sequence[Any]) -> str | None:
    """The first offending field, e.g. "question" or "history" (for ("body", "history", 0))."""
    for error in errors:
        names = [part for part in error.get("loc", ())[1:] if isinstance(part, str)]
        if names:
            return str(names[0])
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LhlError)
    async def _domain(request: Request, exc: LhlError) -> JSONResponse:
        log.info("%s %s -> %s: %s", request.method, request.url.path, exc.status, exc.detail)
        return error_response(ErrorText(exc.status, exc.code, exc.message))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Where and what, never the input: that is what a person asked.
        problems = [(e.get("loc"), e.get("type")) for e in exc.errors()]
        log.info("invalid request to %s: %s", request.url.path, problems)
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(messages.errors.INVALID_JSON)
        field = _field_name(exc.errors())
        if field:
            return error_response(messages.errors.INVALID_FIELD.format(field=field))
        return http_error(422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error(exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return http_error(500)


class CatchAllMiddleware:
    """Turns an unexpected exception into the 500 error shape and logs it, without passing
    it on: Starlette's own handler would answer too, but then re-raise, and uvicorn closes
    the connection and prints the trace a second time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except ClientDisconnect:
            # The client went away (or was cut off as too slow) before its body was read:
            # nobody is left to answer.
            log.info("client gone before its request was read: %s", scope.get("path"))
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for a clean answer; the client sees a cut-off response
                raise
            await http_error(500)(scope, receive, send)
