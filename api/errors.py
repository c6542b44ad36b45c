"""One mapping from failures to HTTP: status code + {"error": {"code", "message"}} in Norwegian.

Full detail goes to the log; a user never sees a stack trace or str(exception).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lhl.errors import LhlError

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    400: ("ugyldig_foresporsel", "Forespørselen er ugyldig."),
    401: ("ikke_autorisert", "Forespørselen er ikke autorisert."),
    404: ("ikke_funnet", "Fant ikke det du ba om."),
    405: ("metode_ikke_tillatt", "Metoden er ikke tillatt for denne adressen."),
    413: ("for_stor", "Forespørselen er for stor."),
    415: ("feil_innholdstype", "Innholdstypen støttes ikke. Send JSON."),
    422: ("ugyldige_data", "Forespørselen har feil format."),
    429: ("for_mange", "For mange forespørsler. Vent litt og prøv igjen."),
    503: ("ikke_klar", "Tjenesten er ikke klar ennå. Prøv igjen om litt."),
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def http_error(status: int, message: str | None = None) -> JSONResponse:
    code, default = _HTTP_MESSAGES.get(status, ("feil", "Noe gikk galt."))
    return error_response(status, code, message or default)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LhlError)
    async def _domain(request: Request, exc: LhlError) -> JSONResponse:
        log.info("%s %s -> %s: %s", request.method, request.url.path, exc.status, exc.detail)
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        log.info("invalid request to %s: %s", request.url.path, exc.errors())
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(400, "ugyldig_json", "Forespørselen er ikke gyldig JSON.")
        return http_error(422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error(exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return http_error(500, "Noe gikk galt hos oss. Prøv igjen om litt.")
