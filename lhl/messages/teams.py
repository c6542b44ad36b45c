"""The Teams card (api/cards.py): what a person in the channel reads around an answer."""

DEFAULT_BOT_NAME = "Assistenten"  # in the usage example when the mention named nobody

# Around an answer.
QUESTION_LABEL = "Spørsmål"
SOURCES = "Kilder"
NEAREST = "Nærmeste avsnitt (ikke et svar)"
PAGE = "side {page}"
OPEN_SOURCE = "Vis kilde [{n}]"
OPEN_CHAT = "Åpne i nettchatten"
EXTRACTIVE_NOTE = "Svaret er sitert fra dokumentene. Trykk på en kilde for å lese avsnittet."
GENERATIVE_NOTE = (
    "Svaret er formulert av en språkmodell ut fra kildene. "
    "Kontroller mot kildene før du bruker det."
)

# The usage card, for «hjelp» or an empty mention.
USAGE_TITLE = "Leve hele livet-assistenten"
USAGE_TEXT = (
    "Jeg svarer på spørsmål om kvalitetsreformen Leve hele livet, ut fra de offentlige "
    "dokumentene jeg har tilgang til, og viser hvilke avsnitt svaret bygger på."
)
USAGE_HOW = "Nevn meg og skriv spørsmålet, for eksempel:"
USAGE_EXAMPLE = "@{bot} Hvilken kommune fikk Leve hele livet-prisen for 2022?"
USAGE_LIMITS = "Står svaret ikke i dokumentene, sier jeg fra. Skriv «hjelp» for å se dette igjen."

# Not even the extractive answer was ready before Teams' deadline.
LATE_TEXT = (
    "Jeg rakk ikke å finne svaret innen fristen Teams gir meg. "
    "Åpne spørsmålet i nettchatten, der får du svaret."
)
