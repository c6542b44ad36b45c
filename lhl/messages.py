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
