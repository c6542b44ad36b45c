"""One mapping from failures to HTTP: status code + {"error": {"code", "message"}} in Norwegian.

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

from lhl.errors import LhlError

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    400: ("ugyldig_foresporsel", "Forespørselen er ugyldig."),
    401: ("ikke_autorisert", "Forespørselen er ikke autorisert."),
    403: ("ingen_tilgang", "Du har ikke tilgang til dette."),
    404: ("ikke_funnet", "Fant ikke det du ba om."),
    405: ("metode_ikke_tillatt", "Metoden er ikke tillatt for denne adressen."),
    408: ("tidsavbrudd", "Forespørselen kom ikke fram i tide. Prøv igjen."),
    413: ("for_stor", "Forespørselen er for stor."),
    415: ("feil_innholdstype", "Innholdstypen støttes ikke. Send JSON."),
    422: ("ugyldige_data", "Forespørselen har feil format."),
    429: ("for_mange", "For mange forespørsler. Vent litt og prøv igjen."),
    431: ("for_store_hoder", "Forespørselens hoder (headers) er for store."),
    500: ("intern_feil", "Noe gikk galt hos oss. Prøv igjen om litt."),
    503: ("ikke_klar", "Tjenesten er ikke klar ennå. Prøv igjen om litt."),
}


# Messages for specific failures at the HTTP edge: key → (code, Norwegian message).
MESSAGES = {
    "body_too_large": (
        "for_stor",
        "Forespørselen er for stor (over {kib} KiB). Still et kortere spørsmål.",
    ),
    "rate_limited": (
        "for_mange_foresporsler",
        "Du har sendt svært mange spørsmål på kort tid. Vent et øyeblikk og prøv igjen.",
    ),
    "invalid_json": ("ugyldig_json", "Forespørselen er ikke gyldig JSON."),
    "invalid_field": (
        "ugyldige_data",
        "Forespørselen har feil format: «{field}» mangler eller har feil type eller lengde.",
    ),
    "passage_not_found": (
        "avsnitt_ikke_funnet",
        "Fant ikke avsnittet. Det kan ha blitt fjernet da dokumentene ble lest inn på nytt.",
    ),
    "feedback_empty": (
        "ugyldig_tilbakemelding",
        "Tilbakemeldingen mangler spørsmålet den gjelder.",
    ),
    "export_local_only": (
        "ingen_tilgang",
        "Eksporten av tilbakemeldinger kan bare hentes fra maskinen tjenesten kjører på.",
    ),
    "not_ready_ingesting": (
        "ikke_klar",
        "Dokumentene leses inn. Tjenesten er klar om litt.",
    ),
    # With the count known: "Leser inn dokumentene (3 av 5) …"
    "not_ready_ingesting_count": (
        "ikke_klar",
        "Leser inn dokumentene ({done} av {total}) …",
    ),
    "not_ready_loading": (
        "ikke_klar",
        "Tjenesten starter og laster inn dokumentindeksen. Prøv igjen om litt.",
    ),
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def http_error_body(status: int, message: str | None = None) -> dict[str, dict[str, str]]:
    code, default = _HTTP_MESSAGES.get(status, ("feil", "Noe gikk galt."))
    return {"error": {"code": code, "message": message or default}}


def http_error(status: int, message: str | None = None) -> JSONResponse:
    return JSONResponse(http_error_body(status, message), status_code=status)


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
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Where and what, never the input: that is what a person asked.
        problems = [(e.get("loc"), e.get("type")) for e in exc.errors()]
        log.info("invalid request to %s: %s", request.url.path, problems)
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(400, *MESSAGES["invalid_json"])
        field = _field_name(exc.errors())
        if field:
            code, message = MESSAGES["invalid_field"]
            return error_response(422, code, message.format(field=field))
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
