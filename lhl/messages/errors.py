"""What an API client or the web chat reads when something fails: one `ErrorText` per failure,
with its HTTP status, its code (stable, part of the API: docs/contract.md) and its message.

The domain errors (lhl/errors.py) take theirs from here, api/errors.py answers plain HTTP
failures with `for_status`, and the routes and limits name the specific ones below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorText:
    """One failure as the client sees it: `{"error": {"code": ..., "message": ...}}` with
    `status`. A message may be a template; the caller fills it (`ErrorText.format`)."""

    status: int
    code: str
    message: str

    def format(self, **fields: object) -> ErrorText:
        return ErrorText(self.status, self.code, self.message.format(**fields))


# -- plain HTTP failures, by status (routing, methods, sizes, time-outs, parsing) ------------
BAD_REQUEST = ErrorText(400, "ugyldig_foresporsel", "Forespørselen er ugyldig.")
UNAUTHORIZED = ErrorText(401, "ikke_autorisert", "Forespørselen er ikke autorisert.")
FORBIDDEN = ErrorText(403, "ingen_tilgang", "Du har ikke tilgang til dette.")
NO_SUCH_RESOURCE = ErrorText(404, "ikke_funnet", "Fant ikke det du ba om.")
METHOD_NOT_ALLOWED = ErrorText(
    405, "metode_ikke_tillatt", "Metoden er ikke tillatt for denne adressen."
)
TIMEOUT = ErrorText(408, "tidsavbrudd", "Forespørselen kom ikke fram i tide. Prøv igjen.")
TOO_LARGE = ErrorText(413, "for_stor", "Forespørselen er for stor.")
UNSUPPORTED_MEDIA_TYPE = ErrorText(
    415, "feil_innholdstype", "Innholdstypen støttes ikke. Send JSON."
)
UNPROCESSABLE = ErrorText(422, "ugyldige_data", "Forespørselen har feil format.")
TOO_MANY = ErrorText(429, "for_mange", "For mange forespørsler. Vent litt og prøv igjen.")
HEADERS_TOO_LARGE = ErrorText(
    431, "for_store_hoder", "Forespørselens hoder (headers) er for store."
)
INTERNAL = ErrorText(500, "intern_feil", "Noe gikk galt hos oss. Prøv igjen om litt.")
NOT_READY = ErrorText(503, "ikke_klar", "Tjenesten er ikke klar ennå. Prøv igjen om litt.")

BY_STATUS = {
    e.status: e
    for e in (
        BAD_REQUEST,
        UNAUTHORIZED,
        FORBIDDEN,
        NO_SUCH_RESOURCE,
        METHOD_NOT_ALLOWED,
        TIMEOUT,
        TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        UNPROCESSABLE,
        TOO_MANY,
        HEADERS_TOO_LARGE,
        INTERNAL,
        NOT_READY,
    )
}


def for_status(status: int) -> ErrorText:
    """A plain HTTP failure's text; a status without an entry above gets a general one."""
    return BY_STATUS.get(status) or ErrorText(status, "feil", "Noe gikk galt.")


# -- the domain errors (lhl/errors.py); unauthorised, too large and internal are above --------
INVALID_QUESTION = ErrorText(400, "ugyldig_sporsmal", "Spørsmålet er ugyldig.")
INDEX_NOT_READY = ErrorText(
    503,
    "indeks_ikke_klar",
    "Indeksen er ikke klar ennå. Kjør «lhl ingest», eller vent litt og prøv igjen.",
)
INDEX_UNAVAILABLE = ErrorText(
    503,
    "indeks_utilgjengelig",
    "Dokumentindeksen er ikke tilgjengelig akkurat nå. Prøv igjen om litt.",
)
INGEST_FAILED = ErrorText(500, "innlesing_feilet", "Ingen dokumenter kunne leses inn.")
TEAMS_NOT_CONFIGURED = ErrorText(
    503, "teams_ikke_satt_opp", "Teams-koblingen er ikke satt opp på denne tjenesten."
)
BAD_MESSAGE = ErrorText(400, "ugyldig_melding", "Meldingen fra Teams har feil format.")

# -- specific failures at the HTTP edge and in the routes ------------------------------------
BODY_TOO_LARGE = ErrorText(
    413, "for_stor", "Forespørselen er for stor (over {kib} KiB). Still et kortere spørsmål."
)
RATE_LIMITED = ErrorText(
    429,
    "for_mange_foresporsler",
    "Du har sendt svært mange spørsmål på kort tid. Vent et øyeblikk og prøv igjen.",
)
INVALID_JSON = ErrorText(400, "ugyldig_json", "Forespørselen er ikke gyldig JSON.")
INVALID_FIELD = ErrorText(
    422,
    "ugyldige_data",
    "Forespørselen har feil format: «{field}» mangler eller har feil type eller lengde.",
)
PASSAGE_NOT_FOUND = ErrorText(
    404,
    "avsnitt_ikke_funnet",
    "Fant ikke avsnittet. Det kan ha blitt fjernet da dokumentene ble lest inn på nytt.",
)
FEEDBACK_EMPTY = ErrorText(
    400, "ugyldig_tilbakemelding", "Tilbakemeldingen mangler spørsmålet den gjelder."
)
EXPORT_LOCAL_ONLY = ErrorText(
    403,
    "ingen_tilgang",
    "Eksporten av tilbakemeldinger kan bare hentes fra maskinen tjenesten kjører på.",
)

# -- why the index is not ready (IndexNotReady's message in these cases) ----------------------
NOT_READY_INGESTING = "Dokumentene leses inn. Tjenesten er klar om litt."
NOT_READY_INGESTING_COUNT = "Leser inn dokumentene ({done} av {total}) …"
NOT_READY_LOADING = "Tjenesten starter og laster inn dokumentindeksen. Prøv igjen om litt."
INDEX_UNREADABLE = "Indeksen kan ikke leses. Kjør «lhl ingest» for å bygge den på nytt."
INDEX_OTHER_EMBEDDER = (
    "Indeksen ble bygget med en annen embedding-modell. Kjør «lhl ingest» på nytt."
)
# IndexUnavailable's message when the embedding model will not load.
EMBEDDER_UNLOADABLE = (
    "Embedding-modellen «{model}» kunne ikke lastes. "
    "Sjekk LHL_EMBEDDINGS (modellnavn eller sti til en lokal modell)."
)
