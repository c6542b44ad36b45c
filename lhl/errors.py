"""Domain exceptions. Each carries a code, an HTTP status and a Norwegian message for users.

    LhlError
    ├── InvalidQuestion      400  empty or too long question, bad parameters
    ├── IndexNotReady        503  no index yet, or it is being loaded
    ├── IndexError_          503  the index could not be read (corrupt, server down)
    ├── IngestFailed         -    nothing could be indexed
    └── Unauthorized         401  Teams signature missing or wrong

Full detail goes to the log; only `message` reaches a user.
"""

from __future__ import annotations


class LhlError(Exception):
    code = "intern_feil"
    status = 500
    message = "Noe gikk galt hos oss. Prøv igjen om litt."

    def __init__(self, message: str | None = None, *, detail: str | None = None) -> None:
        if message:
            self.message = message
        self.detail = detail or self.message
        super().__init__(self.detail)


class InvalidQuestion(LhlError):
    code = "ugyldig_sporsmal"
    status = 400
    message = "Spørsmålet er ugyldig."


class IndexNotReady(LhlError):
    code = "indeks_ikke_klar"
    status = 503
    message = "Indeksen er ikke klar ennå. Kjør «lhl ingest», eller vent litt og prøv igjen."


class IndexUnavailable(LhlError):
    code = "indeks_utilgjengelig"
    status = 503
    message = "Dokumentindeksen er ikke tilgjengelig akkurat nå. Prøv igjen om litt."


class IngestFailed(LhlError):
    code = "innlesing_feilet"
    status = 500
    message = "Ingen dokumenter kunne leses inn."


class Unauthorized(LhlError):
    code = "ikke_autorisert"
    status = 401
    message = "Forespørselen er ikke autorisert."
