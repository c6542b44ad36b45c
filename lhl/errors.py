"""Domain exceptions. Each carries a code, an HTTP status and a Norwegian message for users.

    LhlError
    ├── InvalidQuestion      400  empty or too long question, bad parameters
    ├── IndexNotReady        503  no index yet, or it is being loaded
    ├── IndexUnavailable     503  the index could not be read (corrupt, server down)
    ├── IngestFailed         -    nothing could be indexed
    ├── Unauthorized         401  Teams signature missing or wrong
    ├── TeamsNotConfigured   503  no (valid) Teams tokens configured
    ├── BodyTooLarge         413  request body over the limit
    └── BadMessage           400  a Teams message that is not the expected JSON

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


class TeamsNotConfigured(LhlError):
    code = "teams_ikke_satt_opp"
    status = 503
    message = "Teams-koblingen er ikke satt opp på denne tjenesten."


class BodyTooLarge(LhlError):
    code = "for_stor"
    status = 413
    message = "Forespørselen er for stor."


class BadMessage(LhlError):
    code = "ugyldig_melding"
    status = 400
    message = "Meldingen fra Teams har feil format."
