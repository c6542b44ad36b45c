"""Every Norwegian sentence the assistant itself writes to a user, in one place."""

NOT_FOUND = (
    "Det står ikke i dokumentene jeg har tilgang til. "
    "Avsnittene under er de nærmeste jeg fant, men de svarer ikke på spørsmålet."
)
NOT_FOUND_NO_PASSAGES = "Det står ikke i dokumentene jeg har tilgang til."
EMPTY_QUESTION = "Skriv et spørsmål først."
QUESTION_TOO_LONG = "Spørsmålet er for langt (over {limit} tegn). Prøv å korte det ned."
NO_INDEX = "Fant ingen indeks i «{path}». Kjør «lhl ingest» først."
INGEST_NOTHING = "Fant ingen dokumenter som kunne leses inn i «{path}»."
FILE_TOO_LARGE = (
    "filen er {size} MB, over grensen på {limit} MB (LHL_MAX_FILE_MB; del den opp, "
    "eller hev grensen)"
)

# Generative mode: why the answer shown is not the language model's as it wrote it.
GENERATIVE_TRIMMED = "Deler av språkmodellens svar som ikke sto i kildene, er tatt bort."
GENERATIVE_REJECTED = (
    "Språkmodellens svar kunne ikke bekreftes mot kildene. Dette er utdrag fra dokumentene."
)
GENERATIVE_UNAVAILABLE = "Språkmodellen svarte ikke i tide. Dette er utdrag fra dokumentene."

# An extractive answer whose confidence (a calibrated probability) is below UNCERTAIN_BELOW:
# more likely wrong than right. The web chat (api/static/app.js) says the same.
UNCERTAIN = "Usikkert svar: les kilden før du bruker det."
UNCERTAIN_BELOW = 0.5
