"""Every Norwegian sentence the assistant writes to a person, in one place.

`from lhl import messages` is the entry point. The texts are grouped by who reads them:

    messages.*            the answer itself, in every room (web chat, Teams, `lhl ask`)
    messages.errors       an API client or the web chat: each failure's status, code and
                          message (the codes are part of the API, docs/contract.md)
    messages.teams        the Teams card
    messages.ingest       the ingest report and its failures (`lhl ingest`, `lhl serve`)
    messages.terminal     the `lhl` command and `lhl serve` at the command line, and the
                          configuration errors an operator meets there

Templates name their `{placeholders}`; the caller fills them with `.format(name=...)`.
Log lines for operators stay in English beside the code that writes them.
"""

from lhl.messages import errors as errors
from lhl.messages import ingest as ingest
from lhl.messages import teams as teams
from lhl.messages import terminal as terminal

# -- the answer ------------------------------------------------------------------------------
# Nothing in the documents answers the question: with the nearest passages shown, or none.
NOT_FOUND = (
    "Det står ikke i dokumentene jeg har tilgang til. "
    "Avsnittene under er de nærmeste jeg fant, men de svarer ikke på spørsmålet."
)
NOT_FOUND_NO_PASSAGES = "Det står ikke i dokumentene jeg har tilgang til."

# A question refused before it is looked up (InvalidQuestion, 400; a notice in Teams).
EMPTY_QUESTION = "Skriv et spørsmål først."
QUESTION_TOO_LONG = "Spørsmålet er for langt (over {limit} tegn). Prøv å korte det ned."

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
